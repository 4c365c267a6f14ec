"""GET and DELETE /v2/images/{id}, per persona and visibility."""

import pytest

from catalog.models import Image, ImageMember
from tests.conftest import assert_status

VISIBILITIES = ["private", "shared", "community", "public"]

# Who can see an image of project A with no members, by visibility (Glance's is_image_visible
# plus get_image): the owner project's members and readers, the admin, and everybody for
# community and public images.
SEES = {
    "private": {"admin", "alice", "carol"},
    "shared": {"admin", "alice", "carol"},
    "community": {"admin", "alice", "carol", "bob"},
    "public": {"admin", "alice", "carol", "bob"},
}


@pytest.fixture
def image_of_a(admin, project_a):
    def make(visibility):
        return admin.create_image(visibility=visibility, owner=project_a.id, name=visibility)

    return make


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_show_per_persona(visibility, image_of_a, admin, alice, bob, carol, anonymous):
    image = image_of_a(visibility)
    for persona in (admin, alice, bob, carol):
        response = persona.get(f"/v2/images/{image['id']}")
        if persona.name in SEES[visibility]:
            assert_status(response, 200)
            assert response.json()["id"] == image["id"]
        else:
            assert_status(response, 404)
            assert response.json()["error"]["message"] == f"No image found with ID {image['id']}"
    assert_status(anonymous.get(f"/v2/images/{image['id']}"), 401)


def test_shared_image_is_visible_to_a_member_whatever_its_decision(image_of_a, bob, project_b):
    image = image_of_a("shared")
    for status in ("pending", "rejected", "accepted"):
        ImageMember.objects.update_or_create(
            image_id=image["id"], member=project_b.id, defaults={"status": status}
        )
        assert_status(bob.get(f"/v2/images/{image['id']}"), 200)


@pytest.mark.parametrize(
    "image_id", ["not-a-uuid", "deadbeef-0000-4000-8000-000000000000", "x" * 300]
)
def test_unknown_or_malformed_id_is_404(alice, image_id):
    response = assert_status(alice.get(f"/v2/images/{image_id}"), 404)
    assert response.json()["error"]["message"] == f"No image found with ID {image_id}"


# Who may delete an image of project A: the owner project's members and the admin. Others get
# 404 when they cannot see it and 403 when they can (Glance's NotFound masking).
@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize(
    "who,status",
    [("admin", 204), ("alice", 204), ("carol", 403), ("bob", None), ("anonymous", 401)],
)
def test_delete_per_persona(request, visibility, who, status, image_of_a):
    image = image_of_a(visibility)
    persona = request.getfixturevalue(who)
    if status is None:
        status = 403 if "bob" in SEES[visibility] else 404
    response = assert_status(persona.delete(f"/v2/images/{image['id']}"), status)
    if status == 204:
        assert response.content == b""
        row = Image.objects.get(pk=image["id"])
        assert row.deleted and row.status == "deleted" and row.deleted_at is not None
    else:
        assert not Image.objects.get(pk=image["id"]).deleted
    if status == 403:
        assert response.json()["error"]["message"] == (
            "You are not authorized to complete delete_image action."
        )


def test_deleted_image_disappears_and_second_delete_is_404(alice):
    image = alice.create_image()
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    assert_status(alice.get(f"/v2/images/{image['id']}"), 404)
    response = assert_status(alice.delete(f"/v2/images/{image['id']}"), 404)
    assert response.json()["error"]["message"] == f"Failed to find image {image['id']} to delete"


def test_protected_image_cannot_be_deleted(alice):
    image = alice.create_image(protected=True)
    response = assert_status(alice.delete(f"/v2/images/{image['id']}"), 403)
    assert response.json()["error"]["message"] == (
        f"Image {image['id']} is protected and cannot be deleted."
    )
    assert_status(alice.get(f"/v2/images/{image['id']}"), 200)


def test_body_on_get_or_delete_is_400(alice):
    image = alice.create_image()
    for method in ("GET", "DELETE"):
        response = assert_status(alice.request(method, f"/v2/images/{image['id']}", {"a": 1}), 400)
        assert response.json()["error"]["message"] == "A body is not expected with this request."
