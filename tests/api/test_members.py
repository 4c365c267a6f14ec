"""/v2/images/{id}/members: Glance's sharing rules and default policy, per persona.

The cast: alice (member of A) owns the shared image; bob (member of B) is invited; dave
(member of C) is invited too where a second member is needed; erin (member of D) is a
stranger; carol is a reader of the owner project A; the admin is an admin of its own project.
"""

import json

import jsonschema
import pytest

from catalog.choices import Role
from catalog.domain.sharing import member_schema, members_schema
from catalog.identity.models import Project
from catalog.models import Image, ImageMember
from tests.conftest import assert_status, make_persona


@pytest.fixture
def dave(db):
    return make_persona("dave", Project.objects.create(name="project-c"), Role.MEMBER)


@pytest.fixture
def erin(db):
    return make_persona("erin", Project.objects.create(name="project-d"), Role.MEMBER)


@pytest.fixture
def shared(alice, bob, dave):
    """A shared image of A with B and C as (pending) members."""
    image = alice.create_image(name="shared-img", visibility="shared")
    for project in (bob.project_id, dave.project_id):
        assert_status(alice.post(members_url(image["id"]), {"member": project}), 200)
    return image


def members_url(image_id, member_id=None):
    url = f"/v2/images/{image_id}/members"
    return f"{url}/{member_id}" if member_id else url


def member_ids(response):
    return sorted(m["member_id"] for m in response.json()["members"])


def message(response):
    return response.json()["error"]["message"]


# --- Create --------------------------------------------------------------------------------


def test_owner_adds_a_member_with_200_and_glance_member_view(alice, bob):
    image = alice.create_image(visibility="shared")
    response = assert_status(alice.post(members_url(image["id"]), {"member": bob.project_id}), 200)
    body = response.json()
    assert list(body) == ["member_id", "image_id", "status", "created_at", "updated_at", "schema"]
    assert body["member_id"] == bob.project_id
    assert body["image_id"] == image["id"]
    assert body["status"] == "pending"
    assert body["schema"] == "/v2/schemas/member"
    assert body["created_at"].endswith("Z") and body["created_at"] == body["updated_at"]
    jsonschema.validate(body, member_schema())


def test_admin_adds_a_member_to_any_shared_image(admin, alice, bob):
    image = alice.create_image(visibility="shared")
    assert_status(admin.post(members_url(image["id"]), {"member": bob.project_id}), 200)


def test_member_project_cannot_add_members(shared, bob, erin):
    response = assert_status(bob.post(members_url(shared["id"]), {"member": erin.project_id}), 403)
    assert message(response) == "You are not authorized to complete add_member action."


def test_reader_of_the_owner_cannot_add_members(shared, carol, erin):
    response = assert_status(
        carol.post(members_url(shared["id"]), {"member": erin.project_id}), 403
    )
    assert message(response) == "You are not authorized to complete add_member action."


def test_stranger_gets_404_on_every_member_route(shared, erin, bob):
    image_id = shared["id"]
    expected = f"Image {image_id} not found."
    for response in (
        erin.post(members_url(image_id), {"member": erin.project_id}),
        erin.get(members_url(image_id)),
        erin.get(members_url(image_id, bob.project_id)),
        erin.put(members_url(image_id, bob.project_id), {"status": "accepted"}),
        erin.delete(members_url(image_id, bob.project_id)),
    ):
        assert_status(response, 404)
        assert message(response) == expected


def test_anonymous_gets_401_on_every_member_route(shared, anonymous, bob):
    image_id = shared["id"]
    assert_status(anonymous.post(members_url(image_id), {"member": "x"}), 401)
    assert_status(anonymous.get(members_url(image_id)), 401)
    assert_status(anonymous.get(members_url(image_id, bob.project_id)), 401)
    assert_status(anonymous.put(members_url(image_id, bob.project_id), {"status": "accepted"}), 401)
    assert_status(anonymous.delete(members_url(image_id, bob.project_id)), 401)


@pytest.mark.parametrize("visibility", ["private", "public", "community"])
def test_only_shared_images_have_members(admin, alice, bob, visibility):
    image = admin.create_image(visibility=visibility, owner=alice.project_id)
    url = members_url(image["id"])
    response = assert_status(alice.post(url, {"member": bob.project_id}), 403)
    assert message(response) == f"Not allowed to create members for image {image['id']}."
    response = assert_status(alice.get(url), 403)
    assert message(response) == (
        f"Not allowed to list members for image {image['id']}: Only shared images have members."
    )
    response = assert_status(alice.get(members_url(image["id"], bob.project_id)), 404)
    assert message(response) == "Only shared images have members."
    assert not ImageMember.objects.filter(image_id=image["id"]).exists()


def test_members_of_an_image_made_private_cannot_be_changed(alice, bob):
    image = alice.create_image(visibility="shared")
    assert_status(alice.post(members_url(image["id"]), {"member": bob.project_id}), 200)
    Image.objects.filter(pk=image["id"]).update(visibility="private")
    response = assert_status(alice.delete(members_url(image["id"], bob.project_id)), 403)
    assert message(response) == f"Not allowed to delete members for image {image['id']}."
    # The former member no longer sees the image at all.
    assert_status(bob.put(members_url(image["id"], bob.project_id), {"status": "accepted"}), 404)


@pytest.mark.parametrize(
    "body,expected",
    [
        ({}, "Member to be added not specified"),
        ({"member": ""}, "Member can't be empty"),
        ({"member": None}, "Member can't be empty"),
        (["member"], 'Expected a member in the form: {"member": "image_id"}'),
        ({"member": 42}, 'Expected a member in the form: {"member": "image_id"}'),
        ({"member": ["b"]}, 'Expected a member in the form: {"member": "image_id"}'),
        ({"member": "x" * 256}, "Member can't be longer than 255 characters"),
        ({"member": "a\x00b"}, "Member can't contain NUL characters."),
    ],
)
def test_create_body_errors(alice, body, expected):
    image = alice.create_image(visibility="shared")
    response = assert_status(alice.post(members_url(image["id"]), body), 400)
    assert message(response) == expected


def test_create_without_body(alice):
    image = alice.create_image(visibility="shared")
    response = assert_status(alice.request("POST", members_url(image["id"])), 400)
    assert message(response) == "Body expected in request."
    response = assert_status(alice.post(members_url(image["id"]), raw="{nope"), 400)
    assert message(response) == "Malformed JSON in request body."


def test_duplicate_member_is_409(shared, alice, bob):
    response = assert_status(alice.post(members_url(shared["id"]), {"member": bob.project_id}), 409)
    assert message(response) == f"Member {bob.project_id} is duplicated for image {shared['id']}"


def test_removed_member_row_is_reused_when_added_again(shared, alice, bob):
    url = members_url(shared["id"], bob.project_id)
    assert_status(bob.put(url, {"status": "accepted"}), 200)
    assert_status(alice.delete(url), 204)
    body = assert_status(alice.post(members_url(shared["id"]), {"member": bob.project_id}), 200)
    assert body.json()["status"] == "pending"  # a fresh invitation, not the old decision
    rows = ImageMember.objects.filter(image_id=shared["id"], member=bob.project_id)
    assert rows.count() == 1 and not rows.get().deleted


def test_member_quota(settings, alice, bob, dave):
    settings.CATALOG_IMAGE_MEMBER_QUOTA = 1
    image = alice.create_image(visibility="shared")
    url = members_url(image["id"])
    assert_status(alice.post(url, {"member": bob.project_id}), 200)
    response = assert_status(alice.post(url, {"member": dave.project_id}), 413)
    assert message(response) == (
        f"Image member limit exceeded for image {image['id']}: The limit has been exceeded on "
        "the number of allowed image members. Attempted: 2, Maximum: 1"
    )
    # A removed member frees its place; a duplicate is a 409, not a quota error.
    assert_status(alice.post(url, {"member": bob.project_id}), 409)
    assert_status(alice.delete(members_url(image["id"], bob.project_id)), 204)
    assert_status(alice.post(url, {"member": dave.project_id}), 200)


def test_negative_member_quota_is_unlimited(settings, alice):
    settings.CATALOG_IMAGE_MEMBER_QUOTA = -1
    image = alice.create_image(visibility="shared")
    for n in range(5):
        assert_status(alice.post(members_url(image["id"]), {"member": f"p-{n}"}), 200)


def test_member_ids_are_not_checked_against_projects(alice):
    image = alice.create_image(visibility="shared")
    assert_status(alice.post(members_url(image["id"]), {"member": "no-such-project"}), 200)


# --- List and show -------------------------------------------------------------------------


def test_owner_project_and_admin_list_every_member(shared, alice, carol, admin, bob, dave):
    expected = sorted([bob.project_id, dave.project_id])
    for persona in (alice, carol, admin):
        response = assert_status(persona.get(members_url(shared["id"])), 200)
        assert member_ids(response) == expected
        assert response.json()["schema"] == "/v2/schemas/members"
        jsonschema.validate(response.json(), members_schema())


def test_a_member_lists_only_its_own_row(shared, bob, dave):
    for persona in (bob, dave):
        response = assert_status(persona.get(members_url(shared["id"])), 200)
        assert member_ids(response) == [persona.project_id]


def test_removed_members_are_not_listed(shared, alice, bob, dave):
    assert_status(alice.delete(members_url(shared["id"], dave.project_id)), 204)
    assert member_ids(alice.get(members_url(shared["id"]))) == [bob.project_id]


def test_show_member_per_persona(shared, alice, carol, admin, bob, dave):
    for persona in (alice, carol, admin, bob):
        response = assert_status(persona.get(members_url(shared["id"], bob.project_id)), 200)
        assert response.json()["member_id"] == bob.project_id
    # A member cannot see another member's row.
    response = assert_status(bob.get(members_url(shared["id"], dave.project_id)), 404)
    assert message(response) == (
        f"{dave.project_id} not found in the member list of the image {shared['id']}."
    )


def test_show_unknown_member_is_404(shared, alice):
    response = assert_status(alice.get(members_url(shared["id"], "nobody")), 404)
    assert message(response) == f"nobody not found in the member list of the image {shared['id']}."


def test_member_routes_on_unknown_or_deleted_images_are_404(alice, bob):
    image = alice.create_image(visibility="shared")
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    for image_id in (image["id"], "not-a-uuid"):
        response = assert_status(alice.get(members_url(image_id)), 404)
        assert message(response) == f"Image {image_id} not found."
        assert_status(alice.post(members_url(image_id), {"member": bob.project_id}), 404)


# --- Status decisions ----------------------------------------------------------------------


def test_only_the_member_project_decides(shared, alice, carol, bob):
    url = members_url(shared["id"], bob.project_id)
    for persona in (alice, carol):
        response = assert_status(persona.put(url, {"status": "accepted"}), 403)
        assert message(response) == "You are not authorized to complete modify_member action."
    for status in ("accepted", "rejected", "pending", "accepted"):
        response = assert_status(bob.put(url, {"status": status}), 200)
        assert response.json()["status"] == status
    assert (
        ImageMember.objects.get(image_id=shared["id"], member=bob.project_id).status == "accepted"
    )


def test_admin_may_decide_for_a_member(shared, admin, bob):
    response = assert_status(
        admin.put(members_url(shared["id"], bob.project_id), {"status": "rejected"}), 200
    )
    assert response.json()["status"] == "rejected"


def test_a_member_cannot_decide_for_another_member(shared, bob, dave):
    response = assert_status(
        bob.put(members_url(shared["id"], dave.project_id), {"status": "accepted"}), 404
    )
    assert message(response) == (
        f"{dave.project_id} not found in the member list of the image {shared['id']}."
    )
    assert (
        ImageMember.objects.get(image_id=shared["id"], member=dave.project_id).status == "pending"
    )


def test_update_moves_updated_at_only(shared, bob):
    url = members_url(shared["id"], bob.project_id)
    ImageMember.objects.filter(member=bob.project_id).update(
        created_at="2020-01-01T00:00:00Z", updated_at="2020-01-01T00:00:00Z"
    )
    body = assert_status(bob.put(url, {"status": "accepted"}), 200).json()
    assert body["created_at"] == "2020-01-01T00:00:00Z"
    assert body["updated_at"] > "2020-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "body,expected",
    [
        ({}, "Status not specified"),
        (["accepted"], 'Expected a status in the form: {"status": "status"}'),
        ({"status": "bogus"}, 'Incorrect request: Status must be "pending", "accepted" or "rejected".'),
        ({"status": None}, 'Incorrect request: Status must be "pending", "accepted" or "rejected".'),
        ({"status": ["accepted"]}, 'Incorrect request: Status must be "pending", "accepted" or "rejected".'),
    ],
)  # fmt: skip
def test_update_body_errors(shared, bob, body, expected):
    response = assert_status(bob.put(members_url(shared["id"], bob.project_id), body), 400)
    assert message(response) == expected


def test_policy_is_checked_before_the_status_value(shared, alice, bob):
    # Glance validates the value last: the owner learns it may not decide, not that the
    # value is wrong.
    response = alice.put(members_url(shared["id"], bob.project_id), {"status": "bogus"})
    assert_status(response, 403)


# --- Delete --------------------------------------------------------------------------------


def test_delete_member_per_persona(shared, alice, admin, bob, carol, dave):
    url = members_url(shared["id"], bob.project_id)
    for persona in (bob, carol):
        response = assert_status(persona.delete(url), 403)
        assert message(response) == "You are not authorized to complete delete_member action."
    assert_status(alice.delete(url), 204)
    assert_status(admin.delete(members_url(shared["id"], dave.project_id)), 204)
    response = assert_status(alice.get(url), 404)
    assert message(response) == (
        f"{bob.project_id} not found in the member list of the image {shared['id']}."
    )
    response = assert_status(alice.delete(url), 404)


def test_deleting_the_image_removes_its_members(shared, alice):
    assert_status(alice.delete(f"/v2/images/{shared['id']}"), 204)
    assert not ImageMember.objects.filter(image_id=shared["id"], deleted=False).exists()
    assert ImageMember.objects.filter(image_id=shared["id"], deleted=True).count() == 2


# --- What membership gives -----------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "accepted", "rejected"])
def test_member_sees_the_shared_image_whatever_its_decision(shared, bob, status):
    assert_status(bob.put(members_url(shared["id"], bob.project_id), {"status": status}), 200)
    response = assert_status(bob.get(f"/v2/images/{shared['id']}"), 200)
    assert response.json()["owner"] != bob.project_id


def test_removed_member_no_longer_sees_the_image(shared, alice, bob, erin):
    assert_status(alice.delete(members_url(shared["id"], bob.project_id)), 204)
    assert_status(bob.get(f"/v2/images/{shared['id']}"), 404)
    assert_status(erin.get(f"/v2/images/{shared['id']}"), 404)


def test_a_member_never_gains_write_access(shared, bob, dave):
    image_id = shared["id"]
    assert_status(bob.put(members_url(image_id, bob.project_id), {"status": "accepted"}), 200)
    response = assert_status(bob.delete(f"/v2/images/{image_id}"), 403)
    assert message(response) == "You are not authorized to complete delete_image action."
    assert_status(bob.post(members_url(image_id), {"member": "p-other"}), 403)
    assert_status(bob.delete(members_url(image_id, dave.project_id)), 403)
    assert_status(bob.delete(members_url(image_id, bob.project_id)), 403)
    response = bob.post(f"/v2/x-vitrine/images/{image_id}/publication-requests", {})
    assert_status(response, 403)
    assert bob.get(f"/v2/images/{image_id}").json()["visibility"] == "shared"


# --- Schema --------------------------------------------------------------------------------

# The body of GET /v2/schemas/member from Glance 33.0.0, verbatim.
GLANCE_MEMBER_SCHEMA = json.loads(
    '{"name": "member", "properties": {"member_id": {"type": "string", "description": "An '
    'identifier for the image member (tenantId)"}, "image_id": {"type": "string", "description"'
    ': "An identifier for the image", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-'
    'F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"}, "created_at": {"type": "string", "descripti'
    'on": "Date and time of image member creation"}, "updated_at": {"type": "string", "descrip'
    'tion": "Date and time of last modification of image member"}, "status": {"type": "string"'
    ', "description": "The status of this image member", "enum": ["pending", "accepted", "reje'
    'cted"]}, "schema": {"readOnly": true, "type": "string"}}}'
)


def test_member_schema_is_glances():
    assert json.dumps(member_schema()) == json.dumps(GLANCE_MEMBER_SCHEMA)
    assert members_schema()["properties"]["members"]["items"] == GLANCE_MEMBER_SCHEMA
    assert members_schema()["links"] == [{"rel": "describedby", "href": "{schema}"}]


def test_nul_in_path_ids_is_404_not_500(shared, alice, bob):
    # PostgreSQL refuses NUL in query parameters; such ids simply find nothing.
    image_id = shared["id"]
    assert_status(alice.get(members_url(image_id, "a%00b")), 404)
    assert_status(bob.put(members_url(image_id, "a%00b"), {"status": "accepted"}), 404)
    assert_status(alice.delete(members_url(image_id, "a%00b")), 404)
    assert_status(alice.get(members_url("a%00b")), 404)
    assert_status(alice.get("/v2/images/a%00b"), 404)
    assert_status(alice.delete("/v2/images/a%00b"), 404)
