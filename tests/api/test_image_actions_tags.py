"""Deactivate/reactivate and single-tag PUT/DELETE."""

import pytest

from catalog.models import Image, ImageTag
from tests.api.test_image_data import upload
from tests.conftest import assert_status


@pytest.fixture
def active_image(alice):
    image = alice.create_image(disk_format="raw", container_format="bare")
    assert_status(upload(alice, image["id"], b"data"), 204)
    return image


def action(persona, image_id, name, **kwargs):
    return persona.post(f"/v2/images/{image_id}/actions/{name}", **kwargs)


def test_deactivate_and_reactivate_as_owner(alice, active_image):
    image_id = active_image["id"]
    assert_status(action(alice, image_id, "deactivate"), 204)
    assert alice.get(f"/v2/images/{image_id}").json()["status"] == "deactivated"
    assert_status(action(alice, image_id, "deactivate"), 204)  # no-op
    assert_status(action(alice, image_id, "reactivate"), 204)
    assert alice.get(f"/v2/images/{image_id}").json()["status"] == "active"
    assert_status(action(alice, image_id, "reactivate"), 204)  # no-op
    assert alice.get(f"/v2/images/{image_id}/file").status_code == 200


@pytest.mark.parametrize("name", ["deactivate", "reactivate"])
def test_wrong_status_is_403(admin, alice, name):
    image = alice.create_image()
    response = assert_status(action(admin, image["id"], name), 403)
    assert response.json()["error"]["message"] == f"Not allowed to {name} image in status 'queued'"
    assert Image.objects.get(pk=image["id"]).status == "queued"


def test_action_policy(alice, bob, carol, admin, active_image):
    image_id = active_image["id"]
    response = assert_status(action(carol, image_id, "deactivate"), 403)
    assert "deactivate" in response.json()["error"]["message"]
    assert_status(action(bob, image_id, "deactivate"), 404)
    assert Image.objects.get(pk=image_id).status == "active"
    assert_status(action(admin, image_id, "deactivate"), 204)
    assert_status(action(carol, image_id, "reactivate"), 403)
    assert_status(action(admin, image_id, "reactivate"), 204)


def test_action_unknown_image_and_body(alice, active_image):
    assert_status(action(alice, "deadbeef-0000-4000-8000-000000000000", "deactivate"), 404)
    response = assert_status(action(alice, active_image["id"], "deactivate", body={"a": 1}), 400)
    assert response.json()["error"]["message"] == "A body is not expected with this request."


def tag_url(image_id, tag):
    return f"/v2/images/{image_id}/tags/{tag}"


def test_tag_put_is_idempotent_and_delete_removes(alice):
    image = alice.create_image(tags=["a"])
    assert_status(alice.put(tag_url(image["id"], "newtag")), 204)
    assert_status(alice.put(tag_url(image["id"], "newtag")), 204)
    assert alice.get(f"/v2/images/{image['id']}").json()["tags"] == ["a", "newtag"]
    assert_status(alice.delete(tag_url(image["id"], "newtag")), 204)
    response = assert_status(alice.delete(tag_url(image["id"], "newtag")), 404)
    assert response.json()["error"]["message"] == "The resource could not be found."
    assert alice.get(f"/v2/images/{image['id']}").json()["tags"] == ["a"]


def test_tag_is_url_decoded(alice):
    image = alice.create_image()
    assert_status(alice.put(tag_url(image["id"], "two%20words%3F")), 204)
    assert ImageTag.objects.get(image_id=image["id"]).value == "two words?"


@pytest.mark.parametrize("tag", ["%00", "a%00b"])
def test_tag_with_nul_is_400_to_add_and_404_to_remove(alice, tag):
    # On PostgreSQL the delete reached the database with NUL: a 500 (found by fuzzing).
    image = alice.create_image(tags=["a"])
    response = assert_status(alice.put(tag_url(image["id"], tag)), 400)
    assert response.json()["error"]["message"] == "Tags can't contain NUL characters."
    response = assert_status(alice.delete(tag_url(image["id"], tag)), 404)
    assert response.json()["error"]["message"] == "The resource could not be found."
    assert alice.get(f"/v2/images/{image['id']}").json()["tags"] == ["a"]


def test_tag_too_long_is_400(alice):
    image = alice.create_image()
    assert_status(alice.put(tag_url(image["id"], "t" * 255)), 204)
    response = assert_status(alice.put(tag_url(image["id"], "t" * 256)), 400)
    assert "is too long" in response.json()["error"]["message"]
    assert_status(alice.put(tag_url(image["id"], "%F0%9F%98%80")), 400)  # 4-byte character


def test_tag_quota_is_413(alice, settings):
    settings.CATALOG_IMAGE_TAG_QUOTA = 2
    image = alice.create_image(tags=["a", "b"])
    assert_status(alice.put(tag_url(image["id"], "a")), 204)  # already there: no growth
    response = assert_status(alice.put(tag_url(image["id"], "c")), 413)
    assert response.json()["error"]["message"] == (
        f"Image tag limit exceeded for image {image['id']}: The limit has been exceeded on "
        "the number of allowed image tags. Attempted: 3, Maximum: 2"
    )


def test_tag_policy_and_unknown_image(alice, bob, carol):
    image = alice.create_image(visibility="community")
    response = assert_status(carol.put(tag_url(image["id"], "x")), 403)
    assert (
        response.json()["error"]["message"]
        == f"Not allowed to update tags for image {image['id']}."
    )
    assert_status(bob.put(tag_url(image["id"], "x")), 403)  # visible, not modifiable
    assert_status(bob.delete(tag_url(image["id"], "x")), 403)
    private = alice.create_image(visibility="private")
    assert_status(bob.put(tag_url(private["id"], "x")), 404)
    unknown = "deadbeef-0000-4000-8000-000000000000"
    response = assert_status(alice.put(tag_url(unknown, "t")), 404)
    assert response.json()["error"]["message"] == f"Image {unknown} not found."
    assert not ImageTag.objects.filter(image_id=image["id"]).exists()
