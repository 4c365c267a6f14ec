"""created_at keeps full precision in the database (so "newest first" holds for images made
within one second) while the wire shows whole seconds and time filters compare at the second
the client sees. Runs on SQLite and on PostgreSQL (DATABASE_URL) alike."""

from datetime import UTC, datetime, timedelta

import pytest

from catalog.domain import listing
from catalog.models import Image
from tests.conftest import assert_status

SECOND = datetime(2026, 3, 1, 9, 30, 15, tzinfo=UTC)


def names(persona, query=""):
    response = assert_status(persona.get(f"/v2/images{query}"), 200)
    return [image["name"] for image in response.json()["images"]]


def test_images_created_in_one_second_list_newest_first(alice):
    for name in "abcd":
        alice.create_image(name=name)
    stored = list(Image.objects.order_by("created_at").values_list("name", "created_at"))
    assert [name for name, _ in stored] == list("abcd")
    # Stored to the microsecond (at least one of four creations falls off the whole second).
    assert any(moment.microsecond for _, moment in stored)
    assert names(alice) == list("dcba")


@pytest.fixture
def within_one_second(alice):
    """Four images created 0.1 s apart inside SECOND (ids chosen so that id order differs)."""
    ids = {}
    for index, (name, uid) in enumerate(
        [
            ("a", "ffffffff-0000-4000-8000-000000000000"),
            ("b", "00000000-0000-4000-8000-000000000000"),
            ("c", "88888888-0000-4000-8000-000000000000"),
            ("d", "11111111-0000-4000-8000-000000000000"),
        ]
    ):
        alice.create_image(name=name, id=uid)
        moment = SECOND + timedelta(microseconds=100_000 * (index + 1))
        Image.objects.filter(pk=uid).update(created_at=moment, updated_at=moment)
        ids[name] = uid
    earlier = alice.create_image(name="earlier")["id"]
    Image.objects.filter(pk=earlier).update(
        created_at=SECOND - timedelta(microseconds=1), updated_at=SECOND - timedelta(microseconds=1)
    )
    later = alice.create_image(name="later")["id"]
    Image.objects.filter(pk=later).update(
        created_at=SECOND + timedelta(seconds=1), updated_at=SECOND + timedelta(seconds=1)
    )
    return ids


def test_order_and_pages_follow_the_stored_microseconds(alice, within_one_second):
    assert names(alice) == ["later", "d", "c", "b", "a", "earlier"]
    assert names(alice, "?sort=created_at:asc") == ["earlier", "a", "b", "c", "d", "later"]
    seen, query = [], "?limit=2"
    while True:
        response = assert_status(alice.get(f"/v2/images{query}"), 200).json()
        seen += [image["name"] for image in response["images"]]
        if "next" not in response:
            break
        query = "?" + response["next"].split("?", 1)[1]
    assert seen == ["later", "d", "c", "b", "a", "earlier"]


def test_the_wire_shows_whole_seconds(alice, within_one_second):
    body = assert_status(alice.get(f"/v2/images/{within_one_second['c']}"), 200).json()
    assert body["created_at"] == "2026-03-01T09:30:15Z"
    assert body["updated_at"] == "2026-03-01T09:30:15Z"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("eq:2026-03-01T09:30:15Z", ["d", "c", "b", "a"]),
        ("2026-03-01T09:30:15Z", ["d", "c", "b", "a"]),
        ("neq:2026-03-01T09:30:15Z", ["later", "earlier"]),
        ("gte:2026-03-01T09:30:15Z", ["later", "d", "c", "b", "a"]),
        ("gt:2026-03-01T09:30:15Z", ["later"]),
        ("lt:2026-03-01T09:30:15Z", ["earlier"]),
        ("lte:2026-03-01T09:30:15Z", ["d", "c", "b", "a", "earlier"]),
        # A fraction of a second names no second the client can see.
        ("eq:2026-03-01T09:30:15.200000Z", []),
        ("gte:2026-03-01T09:30:15.2Z", ["later"]),
        ("lt:2026-03-01T09:30:15.2Z", ["d", "c", "b", "a", "earlier"]),
    ],
)
@pytest.mark.parametrize("column", ["created_at", "updated_at"])
def test_time_filters_compare_at_the_second_shown(
    alice, within_one_second, column, expression, expected
):
    assert names(alice, f"?{column}={expression.replace('+', '%2B')}") == expected


def test_second_bounds_table():
    moment = datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    one = timedelta(seconds=1)
    assert listing.second_bounds("eq", moment) == (moment, moment + one)
    assert listing.second_bounds("neq", moment) == (moment, moment + one)
    assert listing.second_bounds("gt", moment) == (moment + one, None)
    assert listing.second_bounds("lte", moment) == (None, moment + one)
    fraction = moment.replace(microsecond=5)
    assert listing.second_bounds("eq", fraction) == (moment, moment)
    assert listing.second_bounds("gte", fraction) == (moment + one, None)
