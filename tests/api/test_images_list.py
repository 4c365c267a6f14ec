"""GET /v2/images: filters, operators, sorting, pagination, links and the query count."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db.models.sql.compiler import SQLCompiler

from catalog.models import Image
from catalog.reads.pagination import FIRST_PAGES
from tests.conftest import assert_status

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def make(persona, seconds, columns=None, **body):
    """Create an image through the API, then give it the columns a test needs (status, size,
    created_at, ...), which only uploads and time would otherwise set."""
    image = persona.create_image(**body)
    columns = {"created_at": T0 + timedelta(seconds=seconds), **(columns or {})}
    columns.setdefault("updated_at", columns["created_at"])
    Image.objects.filter(pk=image["id"]).update(**columns)
    return image["id"]


def listed(persona, query="", status=200):
    response = assert_status(persona.get(f"/v2/images{query}"), status)
    return response.json()


def ids(document):
    return [image["id"] for image in document["images"]]


def names(document):
    return [image["name"] for image in document["images"]]


def error_message(persona, query):
    return listed(persona, query, status=400)["error"]["message"]


@pytest.fixture
def catalog(alice):
    """Five images of project A with distinct columns; newest first is e, d, c, b, a."""
    return {
        "a": make(
            alice, 1, {"status": "active", "size": 10, "virtual_size": 10}, name="a", tags=["red"]
        ),
        "b": make(
            alice,
            2,
            {"status": "active", "size": 1000, "checksum": "c" * 32, "os_hash_value": "f" * 128},
            name="b",
            tags=["red", "blue"],
            disk_format="raw",
            container_format="bare",
        ),
        "c": make(
            alice,
            3,
            {"status": "active", "size": 100000, "os_hash_algo": "sha512"},
            name="c",
            tags=["blue"],
            visibility="private",
            min_ram=512,
            os_distro="cirros",
        ),
        "d": make(
            alice,
            4,
            name="d,with comma",
            disk_format="qcow2",
            container_format="bare",
            protected=True,
            min_disk=20,
            os_distro="ubuntu",
            arch="x86_64",
        ),
        "e": make(alice, 5, {"size": None}, name=None, os_hidden=True),
    }


def test_default_list_newest_first_with_envelope(alice, catalog):
    document = listed(alice)
    assert names(document) == ["d,with comma", "c", "b", "a"]  # e is hidden
    assert document["first"] == "/v2/images"
    assert document["schema"] == "/v2/schemas/images"
    assert "next" not in document
    image = document["images"][0]
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["created_at"] == "2026-01-01T12:00:04Z"
    assert image["os_distro"] == "ubuntu" and image["arch"] == "x86_64"
    assert list(image)[:2] == ["os_distro", "arch"]  # custom properties come first


def test_list_view_matches_show_view(alice, catalog):
    for image in (
        listed(alice, "?visibility=all&os_hidden=true")["images"] + listed(alice)["images"]
    ):
        shown = alice.get(f"/v2/images/{image['id']}").json()
        assert image == shown
        assert list(image) == list(shown)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?name=b", ["b"]),
        ("?name=eq:b", ["b"]),
        ("?name=in:a,c", ["c", "a"]),
        ('?name=in:"d,with comma",a', ["d,with comma", "a"]),
        ("?name=nope", []),
        ("?status=active", ["c", "b", "a"]),
        ("?status=in:queued,active", ["d,with comma", "c", "b", "a"]),
        ("?status=bogus", []),
        ("?disk_format=raw", ["b"]),
        ("?disk_format=in:raw,qcow2", ["d,with comma", "b"]),
        ("?container_format=bare", ["d,with comma", "b"]),
        ("?tag=red", ["b", "a"]),
        ("?tag=red&tag=blue", ["b"]),
        ("?tag=blue&tag=nope", []),
        ("?size_min=100&size_max=5000", ["b"]),
        ("?size_min=1000", ["c", "b"]),
        ("?size_max=1000", ["b", "a"]),
        ("?size=1000", ["b"]),
        ("?virtual_size=10", ["a"]),
        ("?min_ram=512", ["c"]),
        ("?min_ram_min=1", ["c"]),
        ("?min_disk_max=19", ["c", "b", "a"]),
        ("?protected=true", ["d,with comma"]),
        ("?protected=false", ["c", "b", "a"]),
        ("?checksum=" + "c" * 32, ["b"]),
        ("?os_hash_value=" + "f" * 128, ["b"]),
        ("?os_hash_algo=sha512", ["c"]),
        ("?os_distro=cirros", ["c"]),
        ("?os_distro=ubuntu&arch=x86_64", ["d,with comma"]),
        ("?os_distro=ubuntu&arch=arm", []),
        ("?os_distro=CIRROS", []),
        ("?visibility=private", ["c"]),
        ("?visibility=shared&name=in:a,b", ["b", "a"]),
        ("?created_at=gt:2026-01-01T12:00:02Z", ["d,with comma", "c"]),
        ("?created_at=gte:2026-01-01T12:00:02Z", ["d,with comma", "c", "b"]),
        ("?created_at=lt:2026-01-01T12:00:02Z", ["a"]),
        ("?created_at=lte:2026-01-01T12:00:02Z", ["b", "a"]),
        ("?created_at=eq:2026-01-01T12:00:02Z", ["b"]),
        ("?created_at=2026-01-01T12:00:02Z", ["b"]),
        ("?created_at=neq:2026-01-01T12:00:02Z", ["d,with comma", "c", "a"]),
        ("?updated_at=lt:2026-01-01T13:00:02%2B01:00", ["a"]),
    ],
)
def test_filters(alice, catalog, query, expected):
    assert names(listed(alice, query)) == expected


def test_owner_and_id_filters(alice, bob, catalog):
    assert len(ids(listed(alice, f"?owner={alice.project_id}"))) == 4
    assert ids(listed(alice, f"?owner={bob.project_id}")) == []
    assert ids(listed(alice, f"?id={catalog['b']}")) == [catalog["b"]]
    assert ids(listed(alice, f"?id=in:{catalog['a']},{catalog['c']}")) == [
        catalog["c"],
        catalog["a"],
    ]


def test_os_hidden_lists_only_hidden_images_when_true(alice, catalog):
    assert ids(listed(alice, "?os_hidden=true")) == [catalog["e"]]
    assert ids(listed(alice, "?os_hidden=TRUE")) == [catalog["e"]]
    assert catalog["e"] not in ids(listed(alice, "?os_hidden=false"))


def test_killed_and_deleted_images_are_never_listed(alice, admin, catalog):
    Image.objects.filter(pk=catalog["a"]).update(status="killed")
    Image.objects.filter(pk=catalog["b"]).update(status="deleted", deleted=True)
    for query in ("", "?status=killed", "?status=deleted", "?visibility=all"):
        for persona in (alice, admin):
            listed_ids = ids(listed(persona, query))
            assert catalog["a"] not in listed_ids and catalog["b"] not in listed_ids


@pytest.mark.parametrize(
    "query, message",
    [
        ("?visibility=bogus", "Invalid visibility value: bogus"),
        ("?member_status=foo", "Invalid status: foo"),
        ("?limit=x", "limit param must be an integer"),
        ("?limit=", "limit param must be an integer"),
        ("?limit=-1", "limit param must be positive"),
        ("?size_min=abc", "Unable to filter on a range with a non-numeric value."),
        ("?size_min=", "Unable to filter on a range with a non-numeric value."),
        ("?size_max=1.5", "Unable to filter on a range with a non-numeric value."),
        ("?foo_min=1", "Unable to filter on a range of 'foo'"),
        ("?name_max=1", "Unable to filter on a range of 'name'"),
        ("?size=big", "Invalid value 'big' for 'size' filter"),
        ("?min_ram=", "Invalid value '' for 'min_ram' filter"),
        ("?protected=1", "Invalid value '1' for 'protected' filter."),
        ("?protected=", "Invalid value '' for 'protected' filter."),
        ("?os_hidden=yes", "Invalid value 'yes' for 'os_hidden' filter."),
        ("?name=gt:a", "Unable to filter by unknown operator 'gt'."),
        ("?name=ubuntu:22.04", "Unable to filter by unknown operator 'ubuntu'."),
        ('?name=in:"a', "The quote is not closed."),
        ("?created_at=yesterday", 'Bad "created_at" query filter format.'),
        ("?created_at=", 'Bad "created_at" query filter format.'),
        ("?updated_at=after:2026-01-01T00:00:00Z", "Unable to filter on a unknown operator."),
        ("?changes-since=2026-01-01", 'The "changes-since" filter is no longer available'),
        ("?sort_key=owner", "Invalid sort key: owner."),
        ("?sort_key=name&sort_dir=up", "Invalid sort direction: up"),
        ("?sort=name&sort_key=name", "Old and new sorting syntax cannot be combined"),
        ("?sort=name:asc&sort_dir=asc", "Old and new sorting syntax cannot be combined"),
        ("?sort_key=name&sort_key=id&sort_key=size&sort_dir=asc&sort_dir=desc", "sort dirs"),
        ("?self=x", "Unable to filter by 'self'."),
        ("?deleted=true", "Unable to filter by 'deleted'."),
        ("?foo=a%00b", "Query parameters can't contain NUL characters."),
        ("?fo%00o=ab", "Query parameters can't contain NUL characters."),
        ("?marker=%00", "Query parameters can't contain NUL characters."),
        ("?created_at=gt:9999-12-31T23:59:59-14:00", 'Bad "created_at" query filter format.'),
        ("?created_at=0001-01-01T00:00:00%2B14:00", "Unable to filter on a unknown operator."),
    ],
)
def test_malformed_parameters_are_400(alice, catalog, query, message):
    assert message in error_message(alice, query)


@pytest.mark.parametrize(
    "query",
    ["?size_min=99999999999999999999999", "?size=-99999999999999999999999", "?min_ram=2147483648",
     "?min_ram_max=99999999999999999999", "?created_at=lt:9999-12-31T00:00:00Z",
     "?name=" + "n" * 5000, "?tag=%F0%9F%98%80", "?x=%F0%9F%98%80"],
)  # fmt: skip
def test_extreme_values_are_answered_not_crashed_on(alice, catalog, query):
    listed(alice, query)


def test_a_name_with_a_colon_needs_eq(alice):
    make(alice, 1, name="ubuntu:22.04")
    assert names(listed(alice, "?name=eq:ubuntu:22.04")) == ["ubuntu:22.04"]


# --- Sorting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?sort_key=name&sort_dir=asc&visibility=all", ["a", "b", "c", "d,with comma"]),
        ("?sort_key=name", ["d,with comma", "c", "b", "a"]),
        ("?sort=name:asc", ["a", "b", "c", "d,with comma"]),
        ("?sort=name", ["d,with comma", "c", "b", "a"]),
        ("?sort_key=size&sort_dir=desc", ["c", "b", "a", "d,with comma"]),
        ("?sort=size:asc", ["d,with comma", "a", "b", "c"]),
        ("?sort=status:asc,name:desc", ["c", "b", "a", "d,with comma"]),
        (
            "?sort_key=status&sort_key=name&sort_dir=asc&sort_dir=desc",
            ["c", "b", "a", "d,with comma"],
        ),
        ("?sort=disk_format:asc,created_at:asc", ["a", "c", "d,with comma", "b"]),
        ("?sort=container_format:desc", ["d,with comma", "b", "c", "a"]),
        ("?sort=created_at:asc", ["a", "b", "c", "d,with comma"]),
        ("?sort_key=updated_at&sort_dir=asc", ["a", "b", "c", "d,with comma"]),
    ],
)
def test_sorting(alice, catalog, query, expected):
    # A NULL sorts as "" or 0, as Glance's marker comparison reads it, on every database.
    assert names(listed(alice, query)) == expected


def test_sort_by_id_and_ties_break_on_created_at_then_id(alice):
    same = [make(alice, 7, name="twin") for _ in range(4)]
    assert ids(listed(alice, "?sort=id:asc")) == sorted(same)
    assert ids(listed(alice, "?sort_key=name")) == sorted(same, reverse=True)
    assert ids(listed(alice, "?sort_key=name&sort_dir=asc")) == sorted(same)


# --- Pagination -----------------------------------------------------------------------------


def walk(persona, first_query):
    """Follow ``next`` links from a first page; the pages' id lists."""
    pages, url = [], f"/v2/images{first_query}"
    while url and len(pages) < 50:
        document = assert_status(persona.get(url), 200).json()
        pages.append(ids(document))
        url = document.get("next")
    return pages


@pytest.fixture
def seven(alice):
    """Seven images with colliding names and sizes, to exercise multi-key markers."""
    return [
        make(alice, i, {"size": (i % 3) * 10 or None}, name=["x", "y", None][i % 3])
        for i in range(7)
    ]


@pytest.mark.parametrize(
    "order",
    [
        "",
        "&sort=name:asc",
        "&sort=name:desc,size:asc",
        "&sort_key=size&sort_key=name&sort_dir=asc",
        "&sort_key=size&sort_key=name&sort_dir=asc&sort_dir=desc",
        "&sort=status:asc,id:desc",
        "&sort=created_at:asc",
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_marker_pages_concatenate_to_the_full_list(alice, seven, order, limit):
    full = ids(listed(alice, f"?limit=100{order}"))
    assert sorted(full) == sorted(seven)
    pages = walk(alice, f"?limit={limit}{order}")
    assert [i for page in pages for i in page] == full
    assert all(len(page) == limit for page in pages[:-1])
    if len(seven) % limit == 0:
        # Glance emits next whenever a page is full: an exact multiple ends with an empty page.
        assert pages[-1] == []
    else:
        assert 0 < len(pages[-1]) < limit


def test_first_and_next_links(alice, seven):
    document = listed(alice, "?limit=2")
    assert document["first"] == "/v2/images?limit=2"
    assert document["next"] == f"/v2/images?limit=2&marker={document['images'][1]['id']}"
    by_name = listed(alice, "?limit=2&sort_key=name")
    again = listed(alice, f"?limit=2&marker={by_name['images'][1]['id']}&sort_key=name")
    assert again["first"] == "/v2/images?limit=2&sort_key=name"
    query = parse_qsl(urlsplit(again["next"]).query)
    assert query == [
        ("limit", "2"),
        ("marker", again["images"][1]["id"]),
        ("sort_key", "name"),
    ]


def test_links_keep_repeated_parameters(alice):
    """Glance keeps only the last tag in first/next: we keep them all
    (docs/glance-differences.md#list-links)."""
    for i in range(3):
        make(alice, i, tags=["a", "b"], name=f"n{i}")
    document = listed(alice, "?limit=1&tag=a&tag=b&sort_key=name&sort_key=id&sort_dir=asc")
    first = parse_qsl(urlsplit(document["first"]).query)
    assert first == [
        ("limit", "1"),
        ("tag", "a"),
        ("tag", "b"),
        ("sort_key", "name"),
        ("sort_key", "id"),
        ("sort_dir", "asc"),
    ]
    assert parse_qsl(urlsplit(document["next"]).query)[:-1] == first
    pages = walk(alice, "?limit=1&tag=a&tag=b&sort_key=name&sort_key=id&sort_dir=asc")
    assert len([p for p in pages if p]) == 3


def test_new_sort_syntax_is_encoded_in_links(alice, seven):
    document = listed(alice, "?limit=2&sort=name:asc")
    assert document["first"] == "/v2/images?limit=2&sort=name%3Aasc"


def test_limit_zero_default_and_clamp(alice, settings):
    for i in range(4):
        make(alice, i)
    document = listed(alice, "?limit=0")
    assert document["images"] == [] and "next" not in document
    settings.CATALOG_LIMIT_PARAM_DEFAULT = 2
    settings.CATALOG_API_LIMIT_MAX = 3
    assert len(listed(alice)["images"]) == 2
    document = listed(alice, "?limit=5000")
    assert len(document["images"]) == 3 and "next" in document


def test_empty_list(alice):
    document = listed(alice)
    assert document == {"images": [], "first": "/v2/images", "schema": "/v2/schemas/images"}


def test_marker_at_the_end_gives_an_empty_page(alice, seven):
    last = ids(listed(alice))[-1]
    document = listed(alice, f"?marker={last}")
    assert document["images"] == [] and "next" not in document


def test_unknown_and_invisible_markers_are_the_same_400(alice, bob):
    """Glance answers 403 for an invisible marker and so leaks its existence
    (docs/glance-differences.md#invisible-marker)."""
    secret = make(alice, 1, visibility="private")
    make(bob, 2)
    unknown = "deadbeef-0000-4000-8000-000000000000"
    for marker in (unknown, secret):
        message = error_message(bob, f"?marker={marker}")
        assert message == f"No image found with ID {marker}"
    assert error_message(bob, "?marker=" + "x" * 300).startswith("No image found with ID")
    deleted = make(bob, 3)
    Image.objects.filter(pk=deleted).update(deleted=True, status="deleted")
    assert error_message(bob, f"?marker={deleted}") == f"No image found with ID {deleted}"


def test_marker_outside_the_filter_still_positions_the_page(alice, catalog):
    # The marker only gives a position in the order; it need not match the filters.
    assert names(listed(alice, f"?marker={catalog['c']}&tag=red")) == ["b", "a"]


def test_readers_may_list_and_anonymous_may_not(carol, alice, anonymous, catalog):
    assert len(ids(listed(carol))) == 4
    assert_status(anonymous.get("/v2/images"), 401)


def test_body_on_list_is_400(alice):
    response = alice.request("GET", "/v2/images", {"x": 1})
    assert_status(response, 400)


# --- Cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona_name", ["alice", "admin"])
def test_a_page_costs_the_same_queries_whatever_its_size(
    request, persona_name, alice, django_assert_num_queries
):
    persona = request.getfixturevalue(persona_name)
    for i in range(30):
        make(alice, i, {"visibility": "public"}, name=f"n{i}", tags=["t1", "t2"], os_distro="d")
    small = listed(persona, "?limit=2")  # warm caches (content types, ...)
    marker = small["images"][1]["id"]
    # Token lookup, roles, images, properties and tags (one); the marker lookup is one more.
    with django_assert_num_queries(4):
        assert len(listed(persona, "?limit=2")["images"]) == 2
    with django_assert_num_queries(4):
        document = listed(persona, "?limit=30&tag=t1&os_distro=d&sort=name:asc")
        assert len(document["images"]) == 30
        assert all(len(i["tags"]) == 2 and i["os_distro"] == "d" for i in document["images"])
    with django_assert_num_queries(5):
        assert len(listed(persona, f"?limit=25&marker={marker}")["images"]) == 25


def _image_compilations(monkeypatch) -> list:
    """Records every compilation of a query on the images table (the token lookup's are on
    other tables)."""
    compiled = []
    original = SQLCompiler.as_sql

    def as_sql(self, *args, **kwargs):
        if self.query.model is Image:
            compiled.append(self.query)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", as_sql)
    return compiled


def test_a_first_page_seen_before_runs_its_compiled_query_again(
    alice, bob, catalog, monkeypatch, django_assert_num_queries
):
    FIRST_PAGES.clear()
    compiled = _image_compilations(monkeypatch)
    query = "?limit=3&tag=red&sort=name:asc"
    first = listed(alice, query)
    assert len(compiled) == 1
    with django_assert_num_queries(4):  # token, roles, the page, properties and tags
        again = listed(alice, query)
    assert again == first and names(again) == ["a", "b"]
    assert len(compiled) == 1  # not built nor compiled again
    # Anything its SQL depends on is another query: the caller's project, a filter, the
    # limit, the order; a page after a marker is always built.
    assert ids(listed(bob, query)) == []
    assert names(listed(alice, "?limit=3&tag=blue&sort=name:asc")) == ["b", "c"]
    assert names(listed(alice, "?limit=1&tag=red&sort=name:asc")) == ["a"]
    assert names(listed(alice, "?limit=3&tag=red&sort=name:desc")) == ["b", "a"]
    assert len(compiled) == 5
    assert names(listed(alice, f"?limit=3&tag=red&sort=name:asc&marker={catalog['a']}")) == ["b"]
    assert names(listed(alice, f"?limit=3&tag=red&sort=name:asc&marker={catalog['a']}")) == ["b"]
    assert len(compiled) > 6
    # The data is read each time: a new image shows on the cached page.
    make(alice, 9, name="a0", tags=["red"])
    assert names(listed(alice, query)) == ["a", "a0", "b"]


def test_a_bad_request_is_not_cached(alice, catalog):
    FIRST_PAGES.clear()
    for _ in range(2):
        assert "non-numeric" in error_message(alice, "?size_min=x")
    assert not FIRST_PAGES._entries
