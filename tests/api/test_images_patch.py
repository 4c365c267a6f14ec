"""PATCH /v2/images/{id}: Glance's JSON Patch (docs/glance-differences.md#json-patch), atomic
and race-free."""

import threading
import time
from datetime import UTC, datetime

import pytest

from catalog.domain import patching
from catalog.models import Image, ImageProperty, ImageTag
from tests.conftest import PATCH20, PATCH21, assert_status

ACCEPT_PATCH = f"{PATCH20}, {PATCH21}"
PAST = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def image(alice):
    """A queued image of project A, last updated long ago."""
    created = alice.create_image(
        name="cirros", disk_format="qcow2", container_format="bare", tags=["a", "b"], foo="bar"
    )
    Image.objects.filter(pk=created["id"]).update(updated_at=PAST, created_at=PAST)
    return created["id"]


def patch(persona, image_id, ops, status, content_type=PATCH21):
    response = assert_status(
        persona.patch(f"/v2/images/{image_id}", ops, content_type=content_type), status
    )
    return response.json()


def message(persona, image_id, ops, status, content_type=PATCH21):
    return patch(persona, image_id, ops, status, content_type)["error"]["message"]


def shown(persona, image_id):
    return assert_status(persona.get(f"/v2/images/{image_id}"), 200).json()


def test_replace_add_remove_in_one_patch(alice, image):
    body = patch(
        alice,
        image,
        [
            {"op": "replace", "path": "/name", "value": "renamed"},
            {"op": "add", "path": "/new_prop", "value": "v1"},
            {"op": "remove", "path": "/foo"},
            {"op": "replace", "path": "/min_ram", "value": 256},
        ],
        200,
    )
    assert body["name"] == "renamed" and body["new_prop"] == "v1" and body["min_ram"] == 256
    assert "foo" not in body
    assert body["updated_at"] != "2026-01-01T00:00:00Z"
    assert body["created_at"] == "2026-01-01T00:00:00Z"
    assert body == shown(alice, image)


def test_v21_add_is_an_upsert(alice, image):
    assert patch(alice, image, [{"op": "add", "path": "/foo", "value": "baz"}], 200)["foo"] == "baz"
    assert patch(alice, image, [{"op": "add", "path": "/name", "value": "n"}], 200)["name"] == "n"


def test_v20_document_shape_and_add_conflicts(alice, image):
    body = patch(alice, image, [{"replace": "/name", "value": "v20"}], 200, PATCH20)
    assert body["name"] == "v20"
    assert patch(alice, image, [{"add": "/new", "value": "x"}], 200, PATCH20)["new"] == "x"
    assert patch(alice, image, [{"remove": "/new"}], 200, PATCH20).get("new") is None
    for path, value in (("/name", "x"), ("/foo", "x"), ("/tags", ["x"])):
        text = message(alice, image, [{"add": path, "value": value}], 409, PATCH20)
        assert text == f"Property {path[1:]} already present."
    text = message(alice, image, [{"op": "replace", "path": "/name", "value": "x"}], 400, PATCH20)
    assert text.startswith('Operation objects must contain exactly one member named "add"')
    text = message(alice, image, [{"add": "/a", "remove": "/b", "value": "x"}], 400, PATCH20)
    assert text.startswith('Operation objects must contain only one member named "add"')


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json-patch+json", "text/plain", ""],
)
def test_other_media_types_are_415_with_accept_patch(alice, image, content_type):
    response = alice.patch(
        f"/v2/images/{image}",
        [{"op": "replace", "path": "/name", "value": "x"}],
        content_type=content_type,
    )
    assert_status(response, 415)
    assert response["Accept-Patch"] == ACCEPT_PATCH
    error = response.json()["error"]
    assert error["code"] == 415
    assert "is not supported by this server" in error["message"]
    assert ACCEPT_PATCH in error["details"]
    assert shown(alice, image)["name"] == "cirros"


def test_media_type_parameters_are_accepted(alice, image):
    body = patch(
        alice,
        image,
        [{"op": "replace", "path": "/name", "value": "x"}],
        200,
        f"{PATCH21}; charset=UTF-8",
    )
    assert body["name"] == "x"


@pytest.mark.parametrize(
    "ops, text",
    [
        ({"op": "replace", "path": "/name", "value": "x"}, "must be a JSON array of operation"),
        (["replace"], "Operations must be JSON objects."),
        ([{"path": "/name", "value": "x"}], "Unable to find `op` in JSON Schema change."),
        ([{"op": "move", "from": "/name", "path": "/x"}], "Invalid operation: `move`."),
        ([{"op": "copy", "from": "/name", "path": "/x"}], "Invalid operation: `copy`."),
        ([{"op": "test", "path": "/name", "value": "x"}], "Invalid operation: `test`."),
        ([{"op": "add", "value": "x"}], "Unable to find 'path' in JSON Schema change"),
        ([{"op": "add", "path": "/x"}], 'Operation "add" requires a member named "value".'),
        ([{"op": "replace", "path": "/x"}], 'Operation "replace" requires a member named'),
        ([{"op": "add", "path": "name", "value": "x"}], 'Pointer `name` does not start with "/".'),
        ([{"op": "add", "path": "/a//b", "value": "x"}], 'contains adjacent "/"'),
        ([{"op": "add", "path": "/a/", "value": "x"}], 'end with "/"'),
        ([{"op": "add", "path": "/a~2", "value": "x"}], "not part of a recognized escape"),
        ([{"op": "add", "path": "/", "value": "x"}], "Invalid JSON pointer for this resource: '/'"),
        ([{"op": "add", "path": 5, "value": "x"}], "Invalid JSON pointer for this resource"),
        ([{"op": "add", "path": "/tags/0", "value": "x"}], "resource: '/tags/0'"),
        ([{"op": "add", "path": "/tags/-", "value": "x"}], "resource: '/tags/-'"),
        ([{"op": "add", "path": "/foo/bar", "value": "x"}], "resource: '/foo/bar'"),
        ([{"op": "replace", "path": "/locations/0", "value": []}], "'/locations/0'"),
        ([{"op": "add", "path": "/locations", "value": {}}], "resource: '/locations'"),
        ([{"op": "replace", "path": "/min_ram", "value": "lots"}], "does not match schema 'image'"),
        ([{"op": "replace", "path": "/min_ram", "value": -5}], "Cannot be a negative value"),
        ([{"op": "replace", "path": "/min_disk", "value": 2**31}], "out of range"),
        ([{"op": "add", "path": "/foo", "value": 5}], "does not match schema 'image'"),
        ([{"op": "add", "path": "/foo", "value": None}], "does not match schema 'image'"),
        ([{"op": "replace", "path": "/visibility", "value": "everyone"}], "does not match"),
        ([{"op": "replace", "path": "/protected", "value": "yes"}], "does not match"),
        ([{"op": "replace", "path": "/tags", "value": "a"}], "does not match"),
        ([{"op": "replace", "path": "/tags", "value": ["t" * 256]}], "does not match"),
        ([{"op": "replace", "path": "/disk_format", "value": "floppy"}], "does not match"),
        ([{"op": "add", "path": "/kernel_id", "value": "nope"}], "does not match"),
        ([{"op": "add", "path": "/" + "k" * 256, "value": "x"}], "greater than 255 characters"),
        ([{"op": "add", "path": "/foo", "value": "a\x00b"}], "NUL"),
        ([{"op": "replace", "path": "/tags", "value": ["\U0001f600"]}], "4 byte unicode"),
    ],
)
def test_malformed_patches_are_400_and_change_nothing(alice, image, ops, text):
    assert text in message(alice, image, ops, 400)
    after = shown(alice, image)
    assert after["updated_at"] == "2026-01-01T00:00:00Z"
    assert after["foo"] == "bar" and after["tags"] == ["a", "b"]


def test_malformed_json_is_400(alice, image):
    response = alice.request("PATCH", f"/v2/images/{image}", raw="[", content_type=PATCH21)
    assert "Malformed JSON" in assert_status(response, 400).json()["error"]["message"]


@pytest.mark.parametrize(
    "name",
    ["status", "id", "checksum", "size", "virtual_size", "created_at", "updated_at",
     "os_hash_algo", "os_hash_value", "self", "file", "schema", "direct_url", "stores",
     "image_id", "member", "extra_properties"],
)  # fmt: skip
@pytest.mark.parametrize("op", ["add", "replace", "remove"])
def test_read_only_attributes_are_403(alice, image, name, op):
    ops = [{"op": op, "path": f"/{name}", "value": "x"}]
    assert message(alice, image, ops, 403) == f"Attribute '{name}' is read-only."


@pytest.mark.parametrize("name", ["location", "deleted", "deleted_at", "os_glance_foo"])
@pytest.mark.parametrize("op", ["add", "replace", "remove"])
def test_reserved_attributes_are_403(alice, image, name, op):
    ops = [{"op": op, "path": f"/{name}", "value": "x"}]
    assert message(alice, image, ops, 403) == f"Attribute '{name}' is reserved."


def test_locations_answer_as_glance_with_location_management_off(alice, image):
    cases = [
        ({"op": "replace", "path": "/locations", "value": []}, "Cannot set locations to empty list."),
        ({"op": "replace", "path": "/locations", "value": [{"url": "http://x", "metadata": {}}]},
         "It's not allowed to update locations if locations are invisible."),
        ({"op": "add", "path": "/locations/-", "value": {"url": "http://x", "metadata": {}}},
         "It's not allowed to add locations if locations are invisible."),
        ({"op": "remove", "path": "/locations/0"},
         "It's not allowed to remove locations if locations are invisible."),
    ]  # fmt: skip
    for op, text in cases:
        assert message(alice, image, [op], 403) == text


def test_removing_base_attributes_is_403(alice, image):
    for name in ("name", "tags", "visibility", "min_ram", "owner"):
        text = message(alice, image, [{"op": "remove", "path": f"/{name}"}], 403)
        assert text == f"Property {name} may not be removed."


def test_missing_properties_are_409(alice, image):
    for op in ({"op": "remove", "path": "/nope"}, {"op": "replace", "path": "/nope", "value": "x"}):
        assert message(alice, image, [op], 409) == "Property nope does not exist."
    # Typed properties of the schema are custom properties too.
    text = message(alice, image, [{"op": "replace", "path": "/os_distro", "value": "x"}], 409)
    assert text == "Property os_distro does not exist."


def test_the_whole_patch_is_atomic(alice, image):
    ops = [
        {"op": "replace", "path": "/name", "value": "x"},
        {"op": "add", "path": "/other", "value": "y"},
        {"op": "replace", "path": "/tags", "value": ["z"]},
        {"op": "remove", "path": "/nope"},
    ]
    message(alice, image, ops, 409)
    after = shown(alice, image)
    assert after["name"] == "cirros" and "other" not in after and after["tags"] == ["a", "b"]
    assert after["updated_at"] == "2026-01-01T00:00:00Z"


def test_tags_are_replaced_as_a_whole_and_deduplicated(alice, image):
    assert patch(alice, image, [{"op": "replace", "path": "/tags", "value": ["b", "c", "b"]}], 200)[
        "tags"
    ] == ["b", "c"]
    assert patch(alice, image, [{"op": "add", "path": "/tags", "value": []}], 200)["tags"] == []
    assert ImageTag.objects.filter(image_id=image).count() == 0


def test_quotas_are_413(alice, image, settings):
    settings.CATALOG_IMAGE_PROPERTY_QUOTA = 2
    settings.CATALOG_IMAGE_TAG_QUOTA = 2
    patch(alice, image, [{"op": "add", "path": "/second", "value": "x"}], 200)
    text = message(alice, image, [{"op": "add", "path": "/third", "value": "x"}], 413)
    assert "Attempted: 3, Maximum: 2" in text
    # Overwriting an existing property adds nothing to count.
    patch(alice, image, [{"op": "add", "path": "/second", "value": "y"}], 200)
    text = message(
        alice, image, [{"op": "replace", "path": "/tags", "value": ["1", "2", "3"]}], 413
    )
    assert "image tags. Attempted: 3, Maximum: 2" in text
    # A removal earlier in the same patch makes room.
    ops = [{"op": "remove", "path": "/second"}, {"op": "add", "path": "/third", "value": "x"}]
    assert patch(alice, image, ops, 200)["third"] == "x"


def test_escaped_pointers_address_odd_property_names(alice, image):
    body = patch(alice, image, [{"op": "add", "path": "/a~1b~0c", "value": "v"}], 200)
    assert body["a/b~c"] == "v"
    body = patch(alice, image, [{"op": "remove", "path": "/a~1b~0c"}], 200)
    assert "a/b~c" not in body


def test_nullable_values(alice, image):
    body = patch(alice, image, [{"op": "replace", "path": "/name", "value": None}], 200)
    assert body["name"] is None
    body = patch(alice, image, [{"op": "add", "path": "/kernel_id", "value": None}], 200)
    assert body["kernel_id"] == ""
    body = patch(alice, image, [{"op": "replace", "path": "/disk_format", "value": None}], 200)
    assert body["disk_format"] is None


def test_formats_change_only_while_queued_or_importing(alice, image):
    Image.objects.filter(pk=image).update(status="importing")
    patch(alice, image, [{"op": "replace", "path": "/disk_format", "value": "raw"}], 200)
    Image.objects.filter(pk=image).update(status="active")
    for name, value in (("disk_format", "qcow2"), ("container_format", "ova")):
        text = message(alice, image, [{"op": "replace", "path": f"/{name}", "value": value}], 403)
        assert text == f"Attribute {name} can be only replaced for a queued image."
    assert patch(alice, image, [{"op": "replace", "path": "/name", "value": "ok"}], 200)["name"]


def test_owner_changes_are_admin_only_and_never_written(alice, bob, admin, image):
    """Glance commits an owner change made with add by a non-admin
    (docs/glance-differences.md#owner-change)."""
    for op in ("add", "replace"):
        ops = [{"op": op, "path": "/owner", "value": bob.project_id}]
        assert message(alice, image, ops, 403) == "Owner can't be updated by non admin."
        assert Image.objects.get(pk=image).owner == alice.project_id
        assert_status(bob.get(f"/v2/images/{image}"), 404)
    body = patch(admin, image, [{"op": "replace", "path": "/owner", "value": bob.project_id}], 200)
    assert body["owner"] == bob.project_id
    assert_status(bob.get(f"/v2/images/{image}"), 200)


def test_visibility_changes_follow_policy(alice, admin, image):
    text = message(alice, image, [{"op": "replace", "path": "/visibility", "value": "public"}], 403)
    assert text == "You are not authorized to complete publicize_image action."
    for visibility in ("community", "private", "shared"):
        ops = [{"op": "replace", "path": "/visibility", "value": visibility}]
        assert patch(alice, image, ops, 200)["visibility"] == visibility
    ops = [{"op": "replace", "path": "/visibility", "value": "public"}]
    assert patch(admin, image, ops, 200)["visibility"] == "public"


def test_who_may_patch(alice, bob, carol, admin, anonymous, image):
    ops = [{"op": "replace", "path": "/name", "value": "x"}]
    assert (
        message(carol, image, ops, 403) == "You are not authorized to complete modify_image action."
    )
    assert message(bob, image, ops, 404) == f"No image found with ID {image}"
    assert_status(anonymous.patch(f"/v2/images/{image}", ops), 401)
    assert patch(admin, image, ops, 200)["name"] == "x"
    unknown = "deadbeef-0000-4000-8000-000000000000"
    assert message(alice, unknown, ops, 404) == f"No image found with ID {unknown}"
    assert message(alice, "not-a-uuid" * 10, ops, 404).startswith("No image found")


def test_image_members_may_not_patch_a_shared_image(alice, bob, image):
    from catalog.models import ImageMember

    ImageMember.objects.create(image_id=image, member=bob.project_id, status="accepted")
    text = message(bob, image, [{"op": "replace", "path": "/name", "value": "x"}], 403)
    assert text == "You are not authorized to complete modify_image action."


def test_empty_patch_is_200_and_changes_nothing(alice, image):
    before = shown(alice, image)
    assert patch(alice, image, [], 200) == before
    assert before["updated_at"] == "2026-01-01T00:00:00Z"


def test_updated_at_changes_on_every_patch(alice, image):
    ops = [{"op": "replace", "path": "/name", "value": "cirros"}]  # same value
    body = patch(alice, image, ops, 200)
    assert body["updated_at"] > "2026-01-01T00:00:00Z"


def test_deleted_images_cannot_be_patched(alice, image):
    assert_status(alice.delete(f"/v2/images/{image}"), 204)
    ops = [{"op": "replace", "path": "/name", "value": "x"}]
    assert message(alice, image, ops, 404) == f"No image found with ID {image}"


def test_405_lists_patch(alice, image):
    response = assert_status(alice.put(f"/v2/images/{image}", {}), 405)
    assert response["Allow"] == "GET, PATCH, DELETE"


# --- Concurrency ----------------------------------------------------------------------------


def race(persona, image_id, names, monkeypatch):
    """Each name's client adds that property at the same moment; their statuses by name.

    The patch is applied to state read from the database, and a slow apply widens the window
    in which an unlocked implementation would read the same state twice.
    """
    from django.db import connections

    apply = patching.apply_patch

    def slow_apply(*args, **kwargs):
        result = apply(*args, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(patching, "apply_patch", slow_apply)
    barrier = threading.Barrier(len(names))
    statuses = {}

    def client(name):
        try:
            barrier.wait()
            ops = [{"op": "add", "path": f"/{name}", "value": name}]
            statuses[name] = persona.patch(f"/v2/images/{image_id}", ops).status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def property_names(image_id):
    return set(ImageProperty.objects.filter(image_id=image_id).values_list("name", flat=True))


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_lose_no_update(alice, monkeypatch):
    """Two clients add different properties at the same moment: both stick."""
    image = alice.create_image(name="race")["id"]
    assert race(alice, image, ["left", "right"], monkeypatch) == {"left": 200, "right": 200}
    assert property_names(image) == {"left", "right"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_cannot_overrun_the_property_quota(alice, monkeypatch, settings):
    """Both patches are checked against the quota in turn, never against the same old state."""
    settings.CATALOG_IMAGE_PROPERTY_QUOTA = 1
    image = alice.create_image(name="race")["id"]
    statuses = race(alice, image, ["left", "right"], monkeypatch)
    assert sorted(statuses.values()) == [200, 413]
    assert len(property_names(image)) == 1
