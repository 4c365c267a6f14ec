"""POST /v2/images: Glance's defaults, validation, policy and quotas."""

import re
import uuid

import pytest

from catalog.models import Image
from tests.conftest import assert_status

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_minimal_create_has_glance_defaults(alice):
    response = assert_status(alice.post("/v2/images", {}), 201)
    body = response.json()
    image_id = body["id"]
    assert uuid.UUID(image_id).version == 4
    expected = {
        "status": "queued", "visibility": "shared", "protected": False, "os_hidden": False,
        "min_ram": 0, "min_disk": 0, "size": None, "virtual_size": None, "checksum": None,
        "os_hash_algo": None, "os_hash_value": None, "name": None, "owner": alice.project_id,
        "tags": [], "disk_format": None, "container_format": None,
        "self": f"/v2/images/{image_id}", "file": f"/v2/images/{image_id}/file",
        "schema": "/v2/schemas/image",
    }  # fmt: skip
    assert {k: body[k] for k in expected} == expected
    assert TIMESTAMP.match(body["created_at"]) and TIMESTAMP.match(body["updated_at"])
    assert response["Location"] == f"http://testserver/v2/images/{image_id}"
    assert response["OpenStack-image-import-methods"] == "glance-direct,web-download,copy-image"
    assert response["Content-Type"] == "application/json"


def test_full_create_keeps_every_attribute_and_custom_properties_first(alice):
    body = {
        "id": "a0000000-0000-4000-8000-000000000001", "name": "cirros-full",
        "disk_format": "qcow2", "container_format": "bare", "visibility": "private",
        "min_disk": 1, "min_ram": 128, "protected": True, "tags": ["test", "cirros", "test"],
        "os_hidden": True, "os_distro": "cirros", "my_custom_prop": "hello",
    }  # fmt: skip
    created = alice.create_image(**body)
    assert list(created)[:2] == ["os_distro", "my_custom_prop"]
    for key in ("id", "name", "disk_format", "container_format", "visibility", "min_disk",
                "min_ram", "protected", "os_hidden", "os_distro", "my_custom_prop"):  # fmt: skip
        assert created[key] == body[key]
    assert created["tags"] == ["test", "cirros"]  # duplicates collapse, order kept
    shown = assert_status(alice.get(f"/v2/images/{body['id']}"), 200).json()
    assert shown == created


def test_create_accepts_any_declared_content_type_like_glance(alice):
    response = alice.post("/v2/images", {"name": "x"}, content_type="text/plain")
    assert_status(response, 201)


@pytest.mark.parametrize(
    "name",
    [
        "status",
        "checksum",
        "size",
        "virtual_size",
        "os_hash_algo",
        "os_hash_value",
        "created_at",
        "updated_at",
        "self",
        "file",
        "schema",
        "direct_url",
        "stores",
        "image_id",
        "member",
        "extra_properties",
    ],  # fmt: skip
)
def test_read_only_attributes_are_refused(alice, name):
    response = assert_status(alice.post("/v2/images", {name: "x"}), 403)
    assert response.json()["error"]["message"] == f"Attribute '{name}' is read-only."
    assert Image.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    ["location", "locations", "deleted", "deleted_at", "os_glance_foo", "os_glance_import_task"],
)
def test_reserved_attributes_are_refused(alice, name):
    response = assert_status(alice.post("/v2/images", {name: "x"}), 403)
    assert response.json()["error"]["message"] == f"Attribute '{name}' is reserved."


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"visibility": "secret"}, "'secret' is not one of"),
        ({"disk_format": "floppy"}, "'floppy' is not one of"),
        ({"container_format": "zip"}, "'zip' is not one of"),
        ({"id": "not-a-uuid"}, "does not match"),
        ({"name": "n" * 256}, "is too long"),
        ({"tags": ["t" * 256]}, "is too long"),
        ({"tags": "a"}, "is not of type 'array'"),
        ({"min_ram": "5"}, "is not of type 'integer'"),
        ({"min_disk": 1.5}, "is not of type 'integer'"),
        ({"protected": "yes"}, "is not of type 'boolean'"),
        ({"foo": 1}, "is not of type 'string'"),
        ({"foo": None}, "is not of type 'string'"),
        ({"kernel_id": "abc"}, "does not match"),
        ({"cinder_encryption_key_deletion_policy": "never"}, "is not one of"),
    ],
)
def test_schema_violations_are_400(alice, body, fragment):
    message = assert_status(alice.post("/v2/images", body), 400).json()["error"]["message"]
    assert message.startswith("Provided object does not match schema 'image': ")
    assert fragment in message


@pytest.mark.parametrize(
    "body,message",
    [
        ({"min_ram": -1}, "Invalid value '-1' for parameter 'min_ram': Cannot be a negative value"),
        ({"min_disk": 2**31}, "'min_disk' value out of range, must not exceed 2147483647."),
        ({"k" * 256: "v"}, "Custom property should not be greater than 255 characters."),
        ({"name": "a\x00b"}, "Name can't contain NUL characters."),
        ({"name": "snake \U0001f40d"}, "Name can't contain 4 byte unicode characters."),
        ({"tags": ["\U0001f40d"]}, "Tags can't contain 4 byte unicode characters."),
    ],
)
def test_out_of_range_and_unstorable_values_are_400(alice, body, message):
    assert assert_status(alice.post("/v2/images", body), 400).json()["error"]["message"] == message


@pytest.mark.parametrize(
    "raw,message",
    [
        ("{", "Malformed JSON in request body."),
        # Glance: 500 (docs/glance-differences.md#non-object-create-body).
        ("[1]", "Request body must be a JSON object."),
        ("42", "Unexpected body type. Expected list/dict."),
        ("", "Body expected in request."),
    ],
)
def test_malformed_bodies_are_400(alice, raw, message):
    response = assert_status(alice.post("/v2/images", raw=raw), 400)
    assert response.json()["error"]["message"] == message


def test_duplicate_id_is_409(alice, bob):
    image = alice.create_image()
    response = assert_status(bob.post("/v2/images", {"id": image["id"]}), 409)
    assert response.json()["error"]["message"] == f"Image ID {image['id']} already exists!"


def test_id_of_a_deleted_image_is_never_reused(alice):
    image = alice.create_image()
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    assert_status(alice.post("/v2/images", {"id": image["id"]}), 409)


def test_reader_cannot_create(carol):
    response = assert_status(carol.post("/v2/images", {}), 403)
    assert (
        response.json()["error"]["message"]
        == "You are not authorized to complete add_image action."
    )


def test_member_cannot_publish_but_may_share_with_community(alice):
    response = assert_status(alice.post("/v2/images", {"visibility": "public"}), 403)
    assert "publicize_image" in response.json()["error"]["message"]
    assert alice.create_image(visibility="community")["visibility"] == "community"


def test_admin_may_publish_and_create_for_another_project(admin, project_b):
    image = admin.create_image(visibility="public", owner=project_b.id)
    assert image["visibility"] == "public" and image["owner"] == project_b.id


def test_member_cannot_create_for_another_project(alice, project_b):
    response = assert_status(alice.post("/v2/images", {"owner": project_b.id}), 403)
    assert response.json()["error"]["message"] == (
        f"You are not permitted to create images owned by '{project_b.id}'"
    )


def test_property_and_tag_quotas_are_413(alice, settings):
    settings.CATALOG_IMAGE_PROPERTY_QUOTA = 2
    settings.CATALOG_IMAGE_TAG_QUOTA = 2
    response = assert_status(alice.post("/v2/images", {"a": "1", "b": "2", "c": "3"}), 413)
    assert response.json()["error"]["message"].endswith("Attempted: 3, Maximum: 2")
    response = assert_status(alice.post("/v2/images", {"tags": ["a", "b", "c"]}), 413)
    assert "allowed image tags. Attempted: 3, Maximum: 2" in response.json()["error"]["message"]
    assert_status(alice.post("/v2/images", {"tags": ["a", "b", "a"], "x": "1", "y": "2"}), 201)


def test_anonymous_cannot_create(anonymous):
    response = assert_status(anonymous.post("/v2/images", {}), 401)
    assert response.json()["error"]["code"] == 401
