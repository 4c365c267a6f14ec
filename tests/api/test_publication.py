"""The approval workflow end to end: an owner asks (API), an admin decides (Django admin),
the image becomes public through the normal service path, and the decision is recorded."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from catalog.choices import Role
from catalog.context import RequestContext, expand_roles
from catalog.exceptions import BadRequest, Conflict, Forbidden
from catalog.identity.models import Project
from catalog.models import Image, PublicationRequest
from catalog.services import publication
from catalog.services.visibility import set_visibility
from tests.conftest import assert_status, make_persona

CHANGELIST = "/admin/catalog/publicationrequest/"


def requests_url(image_id):
    return f"/v2/x-vitrine/images/{image_id}/publication-requests"


def message(response):
    return response.json()["error"]["message"]


def active_image(persona, **body):
    """An image with data (only active images can be asked for)."""
    image = persona.create_image(disk_format="raw", container_format="bare", **body)
    response = persona.put(
        f"/v2/images/{image['id']}/file", raw=b"\0" * 512, content_type="application/octet-stream"
    )
    assert_status(response, 204)
    return persona.get(f"/v2/images/{image['id']}").json()


@pytest.fixture
def private_image(alice):
    return active_image(alice, name="golden", visibility="private")


@pytest.fixture
def filed(alice, private_image):
    body = {"message": "Tested on three clouds."}
    return assert_status(alice.post(requests_url(private_image["id"]), body), 201).json()


@pytest.fixture
def admin_browser(admin):
    """A Django test client logged in to the admin as the superuser ``admin``."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def decide(browser, action, request_ids, reason=None):
    """Run an admin action: the first POST shows the reason form, the second applies it."""
    data = {"action": action, "_selected_action": [str(i) for i in request_ids]}
    page = browser.post(CHANGELIST, data)
    assert_status(page, 200)
    assert b'name="reason"' in page.content
    if reason is None:
        return page
    return browser.post(CHANGELIST, {**data, "apply": "1", "reason": reason})


# --- Filing requests (API) -----------------------------------------------------------------


def test_owner_files_a_request(filed, alice, private_image):
    assert filed["image_id"] == private_image["id"]
    assert filed["project_id"] == alice.project_id
    assert filed["status"] == "pending"
    assert filed["requested_by"] == "alice"
    assert filed["message"] == "Tested on three clouds."
    assert filed["decided_by"] == "" and filed["decided_at"] is None
    assert filed["created_at"].endswith("Z")
    # Filing changes nothing on the image itself.
    assert alice.get(f"/v2/images/{private_image['id']}").json()["visibility"] == "private"


def test_a_request_needs_no_body(alice, private_image):
    response = assert_status(alice.request("POST", requests_url(private_image["id"])), 201)
    assert response.json()["message"] == ""


def test_one_pending_request_per_image(filed, alice, private_image):
    response = assert_status(alice.post(requests_url(private_image["id"]), {}), 409)
    assert message(response) == (
        f"A publication request for image {private_image['id']} is already pending."
    )


def test_public_images_need_no_request(admin, alice):
    image = admin.create_image(visibility="public", owner=alice.project_id)
    response = assert_status(alice.post(requests_url(image["id"]), {}), 409)
    assert message(response) == f"Image {image['id']} is already public."


def test_who_may_file_a_request(alice, bob, carol, anonymous, admin):
    shared = active_image(alice, visibility="shared")
    url = requests_url(shared["id"])
    response = assert_status(carol.post(url, {}), 403)
    assert message(response) == "You are not authorized to complete modify_image action."
    response = assert_status(bob.post(url, {}), 404)  # not a member: cannot see it
    assert message(response) == f"No image found with ID {shared['id']}"
    assert_status(anonymous.post(url, {}), 401)
    assert_status(admin.post(url, {}), 201)
    assert_status(alice.post(requests_url("no-such-image"), {}), 404)


@pytest.mark.parametrize(
    "body,expected",
    [
        ({"message": 5}, "The message must be a string."),
        ({"message": "x" * 2001}, "The message can't be longer than 2000 characters."),
        ({"message": "a\x00b"}, "The message can't contain NUL characters."),
        (["message"], "Request body must be a JSON object."),
    ],
)
def test_request_body_errors(alice, private_image, body, expected):
    response = assert_status(alice.post(requests_url(private_image["id"]), body), 400)
    assert message(response) == expected
    assert not PublicationRequest.objects.exists()


def test_listing_requests_per_persona(filed, alice, carol, bob, admin, private_image):
    for persona in (alice, carol, admin):
        body = assert_status(persona.get("/v2/x-vitrine/publication-requests"), 200).json()
        assert [r["id"] for r in body["publication_requests"]] == [filed["id"]]
    body = assert_status(bob.get("/v2/x-vitrine/publication-requests"), 200).json()
    assert body["publication_requests"] == []
    body = alice.get(requests_url(private_image["id"])).json()
    assert [r["id"] for r in body["publication_requests"]] == [filed["id"]]
    assert_status(bob.get(requests_url(private_image["id"])), 404)


def test_listing_filters_on_status(filed, admin):
    url = "/v2/x-vitrine/publication-requests"
    assert len(admin.get(url, status="pending").json()["publication_requests"]) == 1
    assert admin.get(url, status="approved").json()["publication_requests"] == []
    response = assert_status(admin.get(url, status="maybe"), 400)
    assert message(response) == (
        "Invalid status value: maybe. Expected one of: pending, approved, rejected, withdrawn, all"
    )


# --- Deciding (Django admin) ---------------------------------------------------------------


def test_admin_approves_in_the_django_admin(filed, admin_browser, alice, bob, private_image):
    response = decide(admin_browser, "approve_requests", [filed["id"]], reason="Looks good.")
    assert_status(response, 302)
    decided = PublicationRequest.objects.get(pk=filed["id"])
    assert decided.status == "approved"
    assert decided.decided_by == "admin"
    assert decided.decided_at is not None
    assert decided.decision_reason == "Looks good."
    image = assert_status(bob.get(f"/v2/images/{private_image['id']}"), 200).json()
    assert image["visibility"] == "public"
    assert image["updated_at"] >= image["created_at"]
    body = alice.get(requests_url(private_image["id"])).json()["publication_requests"][0]
    assert body["status"] == "approved" and body["decision_reason"] == "Looks good."


def test_admin_rejects_with_a_reason(filed, admin_browser, alice, bob, private_image):
    # Without a reason the form comes back and nothing is decided.
    page = decide(admin_browser, "reject_requests", [filed["id"]], reason="")
    assert_status(page, 200)
    assert b"This field is required." in page.content
    assert PublicationRequest.objects.get(pk=filed["id"]).status == "pending"
    response = decide(admin_browser, "reject_requests", [filed["id"]], reason="No licence file.")
    assert_status(response, 302)
    decided = PublicationRequest.objects.get(pk=filed["id"])
    assert (decided.status, decided.decided_by, decided.decision_reason) == (
        "rejected",
        "admin",
        "No licence file.",
    )
    assert_status(bob.get(f"/v2/images/{private_image['id']}"), 404)
    # The owner may ask again once the previous request is decided.
    assert_status(alice.post(requests_url(private_image["id"]), {}), 201)


def test_a_decided_request_cannot_be_decided_again(filed, admin_browser, private_image):
    decide(admin_browser, "reject_requests", [filed["id"]], reason="No.")
    response = decide(admin_browser, "approve_requests", [filed["id"]], reason="")
    assert_status(response, 302)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("was already rejected" in m for m in messages), messages
    assert PublicationRequest.objects.get(pk=filed["id"]).status == "rejected"
    assert Image.objects.get(pk=private_image["id"]).visibility == "private"


def test_deleting_the_image_withdraws_its_pending_request(
    filed, admin_browser, alice, private_image
):
    assert_status(alice.delete(f"/v2/images/{private_image['id']}"), 204)
    withdrawn = PublicationRequest.objects.get(pk=filed["id"])
    assert withdrawn.status == "withdrawn"
    assert withdrawn.decision_reason == "The image was deleted."
    assert withdrawn.decided_at is not None
    response = decide(admin_browser, "approve_requests", [filed["id"]], reason="")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("was already withdrawn" in m for m in messages), messages
    body = assert_status(
        alice.get("/v2/x-vitrine/publication-requests", status="withdrawn"), 200
    ).json()
    assert [r["id"] for r in body["publication_requests"]] == [filed["id"]]


def test_decided_requests_stay_as_they_were_when_the_image_is_deleted(filed, alice, private_image):
    publication.reject(ctx("x", "admin"), filed["id"], reason="No.")
    assert_status(alice.delete(f"/v2/images/{private_image['id']}"), 204)
    assert PublicationRequest.objects.get(pk=filed["id"]).status == "rejected"


@pytest.mark.parametrize("status", ["queued", "deactivated"])
def test_only_active_images_can_be_asked_for(alice, admin, status):
    if status == "queued":
        image = alice.create_image(name="empty")
    else:
        image = active_image(alice, name="old")
        assert_status(alice.post(f"/v2/images/{image['id']}/actions/deactivate"), 204)
    response = assert_status(alice.post(requests_url(image["id"]), {}), 409)
    assert message(response) == (
        f"Image {image['id']} is {status}: only active images can be published."
    )
    assert not PublicationRequest.objects.exists()


def test_approving_is_refused_once_the_image_is_no_longer_active(filed, alice, private_image):
    assert_status(alice.post(f"/v2/images/{private_image['id']}/actions/deactivate"), 204)
    with pytest.raises(Conflict, match="is deactivated: only active images can be published"):
        publication.approve(ctx("x", "admin"), filed["id"])
    assert PublicationRequest.objects.get(pk=filed["id"]).status == "pending"
    assert Image.objects.get(pk=private_image["id"]).visibility == "private"


def test_staff_without_the_admin_role_cannot_approve(filed, private_image):
    # A staff member of the image's own project sees the request (the admin is scoped like
    # the API) but the service refuses the approval.
    project = Project.objects.get(pk=private_image["owner"])
    make_persona("operator", project, Role.MEMBER)
    user = get_user_model().objects.get(username="operator")
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__endswith="publicationrequest"))
    browser = Client()
    browser.force_login(user)
    response = decide(browser, "approve_requests", [filed["id"]], reason="")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("publicize_image" in m for m in messages), messages
    assert PublicationRequest.objects.get(pk=filed["id"]).status == "pending"
    assert Image.objects.get(pk=private_image["id"]).visibility == "private"


def test_requests_are_not_added_or_deleted_in_the_admin(filed, admin_browser):
    assert_status(admin_browser.get(CHANGELIST + "add/"), 403)
    assert_status(admin_browser.get(f"{CHANGELIST}{filed['id']}/delete/"), 403)
    assert_status(admin_browser.get(f"{CHANGELIST}{filed['id']}/change/"), 200)


# --- The services directly -----------------------------------------------------------------


def ctx(project_id, *roles, name="someone"):
    return RequestContext(
        user_id=name, user_name=name, project_id=project_id, roles=expand_roles(roles)
    )


def test_only_admins_decide(filed, alice):
    with pytest.raises(Forbidden):
        publication.approve(ctx(alice.project_id, "member"), filed["id"])
    with pytest.raises(BadRequest):
        publication.reject(ctx("x", "admin"), filed["id"], reason="  ")
    publication.reject(ctx("x", "admin"), filed["id"], reason="Because.")
    with pytest.raises(Conflict):
        publication.approve(ctx("x", "admin"), filed["id"])


def test_set_visibility_keeps_publishing_admin_only(alice, private_image):
    image_id = private_image["id"]
    owner = ctx(alice.project_id, "member")
    with pytest.raises(Forbidden):
        set_visibility(owner, image_id, "public")
    assert set_visibility(owner, image_id, "community").visibility == "community"
    assert set_visibility(ctx("x", "admin"), image_id, "public").visibility == "public"
    with pytest.raises(BadRequest):
        set_visibility(owner, image_id, "everyone")
    with pytest.raises(Forbidden):
        set_visibility(ctx(alice.project_id, "reader"), image_id, "private")
    assert Image.objects.get(pk=image_id).visibility == "public"


def test_approving_an_images_pending_request_through_the_service(alice, admin):
    from catalog.context import RequestContext, expand_roles
    from catalog.exceptions import Conflict
    from catalog.models import Image
    from catalog.services import publication

    image = active_image(alice, name="p")
    ctx = RequestContext(
        user_id="1", user_name="admin", project_id=None, roles=expand_roles(["admin"])
    )
    with pytest.raises(Conflict, match="no pending publication request"):
        publication.approve_pending_for_image(ctx, image["id"])
    response = alice.post(f"/v2/x-vitrine/images/{image['id']}/publication-requests", {})
    assert response.status_code == 201
    publication.approve_pending_for_image(ctx, image["id"])
    assert Image.objects.get(pk=image["id"]).visibility == "public"
