"""Glance's legacy ``/locations`` PATCH operations with CATALOG_SHOW_MULTIPLE_LOCATIONS on
(glance-wave2 section 2.5), and their refusals with it off."""

import hashlib

import pytest

from catalog.models import Image, ImageLocation
from tests.conftest import assert_status
from tests.imports.conftest import LOCATION_DATA as DATA
from tests.imports.conftest import raw_image


@pytest.fixture
def managed(settings, web):
    settings.CATALOG_SHOW_MULTIPLE_LOCATIONS = True
    settings.CATALOG_SHOW_IMAGE_DIRECT_URL = True
    web.files["/other.img"] = DATA
    web.files["/third.img"] = DATA
    return web


def patch(persona, image_id, *ops):
    return persona.patch(f"/v2/images/{image_id}", list(ops))


def loc(url, **extra):
    return {"url": url, "metadata": {}, **extra}


def test_location_ops_are_refused_while_locations_are_invisible(alice):
    image = raw_image(alice)
    cases = [
        ({"op": "add", "path": "/locations/-", "value": loc("http://x/y")}, "to add locations"),
        ({"op": "replace", "path": "/locations", "value": [loc("http://x/y")]}, "to update"),
        ({"op": "replace", "path": "/locations", "value": []}, "Cannot set locations to empty"),
        ({"op": "remove", "path": "/locations/0"}, "to remove locations"),
    ]
    for op, fragment in cases:
        response = assert_status(patch(alice, image["id"], op), 403)
        assert fragment in response.json()["error"]["message"]


def test_add_activates_a_queued_image_with_the_given_hashes(alice, managed):
    image = raw_image(alice)
    value = loc(
        f"{managed.base}/small.img",
        validation_data={
            "checksum": hashlib.md5(DATA).hexdigest(),
            "os_hash_algo": "sha512",
            "os_hash_value": hashlib.sha512(DATA).hexdigest(),
        },
    )
    body = assert_status(
        patch(alice, image["id"], {"op": "add", "path": "/locations/-", "value": value}), 200
    ).json()
    assert body["status"] == "active" and body["size"] == len(DATA)
    assert body["checksum"] == hashlib.md5(DATA).hexdigest()
    assert body["locations"] == [{"url": f"{managed.base}/small.img", "metadata": {}}]
    assert body["direct_url"] == f"{managed.base}/small.img"


def test_add_positions_are_kept_and_reads_agree(alice, managed):
    image = raw_image(alice)
    first, second, third = (f"{managed.base}/{n}.img" for n in ("small", "other", "third"))
    assert_status(
        patch(alice, image["id"], {"op": "add", "path": "/locations/-", "value": loc(first)}), 200
    )
    assert_status(
        patch(alice, image["id"], {"op": "add", "path": "/locations/99", "value": loc(second)}), 200
    )
    response = patch(alice, image["id"], {"op": "add", "path": "/locations/0", "value": loc(third)})
    shown = [x["url"] for x in assert_status(response, 200).json()["locations"]]
    assert shown == [third, first, second]
    again = assert_status(alice.get(f"/v2/images/{image['id']}"), 200).json()
    assert [x["url"] for x in again["locations"]] == shown  # Glance: insertion order (W22)
    assert again["direct_url"] == third


def test_add_errors(alice, carol, managed):
    image = raw_image(alice)
    url = f"{managed.base}/small.img"

    def add(value, path="/locations/-", persona=alice):
        return patch(persona, image["id"], {"op": "add", "path": path, "value": value})

    assert_status(add(loc(url)), 200)
    assert "already exists" in assert_status(add(loc(url)), 400).json()["error"]["message"]
    assert_status(add(loc(url + "#frag")), 200)  # a fragment makes another URL
    for bad in ("gopher://127.0.0.1/x", "file:///etc/passwd", "http://10.1.2.3/x"):
        assert assert_status(add(loc(bad)), 400).json()["error"]["message"] == "Invalid location"
    assert_status(add({"url": url + "?x"}), 400)  # metadata is required
    assert_status(add(loc(url + "?y"), path="/locations/x"), 400)
    assert_status(add(loc(url + "?z"), persona=carol), 403)
    wrong_algo = {"os_hash_algo": "sha256", "os_hash_value": "ab" * 32}
    assert_status(add(loc(url + "?w", validation_data=wrong_algo)), 400)
    short = {"os_hash_algo": "sha512", "os_hash_value": "ab" * 10}
    assert_status(add(loc(url + "?v", validation_data=short)), 400)  # Glance: 409 (W23)
    other = {"os_hash_algo": "sha512", "os_hash_value": "ab" * 64}
    assert_status(add(loc(url + "?u", validation_data=other)), 409)  # a different value


def test_location_quota(alice, managed, settings):
    settings.CATALOG_IMAGE_LOCATION_QUOTA = 2
    image = raw_image(alice)
    for suffix in ("", "#2"):
        value = loc(f"{managed.base}/small.img{suffix}")
        assert_status(
            patch(alice, image["id"], {"op": "add", "path": "/locations/-", "value": value}), 200
        )
    value = loc(f"{managed.base}/small.img#3")
    response = patch(alice, image["id"], {"op": "add", "path": "/locations/-", "value": value})
    assert "Attempted: 3, Maximum: 2" in assert_status(response, 413).json()["error"]["message"]


def test_replace_and_remove(alice, admin, managed):
    image = raw_image(alice)
    first, second = f"{managed.base}/small.img", f"{managed.base}/other.img"
    for url in (first, second):
        assert_status(
            patch(alice, image["id"], {"op": "add", "path": "/locations/-", "value": loc(url)}), 200
        )
    same = [loc(first), {"url": second, "metadata": {"k": "v"}}]
    body = assert_status(
        patch(alice, image["id"], {"op": "replace", "path": "/locations", "value": same}), 200
    ).json()
    assert body["locations"][1]["metadata"] == {"k": "v"}
    changed = assert_status(
        patch(alice, image["id"], {"op": "replace", "path": "/locations", "value": [loc(first)]}),
        400,
    )
    assert "id" not in changed.json()["error"]["message"].lower().split()  # no internal rows
    assert_status(
        patch(alice, image["id"], {"op": "replace", "path": "/locations", "value": []}), 403
    )
    assert_status(
        patch(alice, image["id"], {"op": "remove", "path": "/locations/0"}), 403
    )  # admin only
    assert_status(patch(admin, image["id"], {"op": "remove", "path": "/locations/5"}), 400)
    assert_status(patch(admin, image["id"], {"op": "remove", "path": "/locations"}), 400)
    body = assert_status(
        patch(admin, image["id"], {"op": "remove", "path": "/locations/-"}), 200
    ).json()
    assert [x["url"] for x in body["locations"]] == [first]
    last = assert_status(patch(admin, image["id"], {"op": "remove", "path": "/locations/0"}), 403)
    assert last.json()["error"]["message"].endswith("Cannot remove last location in the image.")
    assert ImageLocation.objects.filter(image_id=image["id"], status="pending_delete").count() == 1
    queued = raw_image(alice)
    response = patch(admin, queued["id"], {"op": "remove", "path": "/locations/0"})
    assert "if image status is queued" in assert_status(response, 409).json()["error"]["message"]
    assert Image.objects.get(pk=queued["id"]).status == "queued"
