"""Publication requests in the HTML catalog: owners follow them, admins decide."""

from catalog.choices import PublicationStatus
from catalog.models import Image, PublicationRequest
from tests.conftest import assert_status
from tests.ui.conftest import give_data


def active(persona, name):
    image = persona.create_image(name=name, disk_format="raw", container_format="bare")
    give_data(persona, image["id"])
    return image


def ask(alice, image_id):
    response = alice.post(
        f"/v2/x-vitrine/images/{image_id}/publication-requests", {"message": "tested"}
    )
    return assert_status(response, 201).json()


def test_admin_approves_in_the_ui_and_the_image_becomes_public(alice, admin_web):
    image = active(alice, "golden")
    ask(alice, image["id"])
    page = assert_status(admin_web.get("/catalog/publications/"), 200).content.decode()
    assert "golden" in page and "tested" in page
    row = PublicationRequest.objects.get()
    response = admin_web.post(
        f"/catalog/publications/{row.pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert "Publication request approved." in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.decided_by) == (PublicationStatus.APPROVED, "admin")
    assert Image.objects.get(pk=image["id"]).visibility == "public"


def test_a_rejection_needs_a_reason_and_the_owner_sees_it(alice, alice_web, admin_web):
    image = active(alice, "draft")
    ask(alice, image["id"])
    row = PublicationRequest.objects.get()
    url = f"/catalog/publications/{row.pk}/decide/"
    page = admin_web.post(url, {"decision": "reject"}, follow=True).content.decode()
    assert "reason" in page.lower()
    assert PublicationRequest.objects.get().status == PublicationStatus.PENDING
    done = admin_web.post(url, {"decision": "reject", "reason": "No license file"}, follow=True)
    assert "Publication request rejected." in done.content.decode()  # not "rejectd"
    mine = alice_web.get("/catalog/publications/?status=all").content.decode()
    assert "No license file" in mine and "rejected" in mine
    assert Image.objects.get(pk=image["id"]).visibility != "public"


def test_members_cannot_decide(alice, alice_web):
    image = active(alice, "mine")
    ask(alice, image["id"])
    row = PublicationRequest.objects.get()
    page = alice_web.get("/catalog/publications/").content.decode()
    assert "Approve" not in page
    response = alice_web.post(
        f"/catalog/publications/{row.pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert "publicize_image" in response.content.decode()
    assert PublicationRequest.objects.get().status == PublicationStatus.PENDING


def test_ask_to_publish_is_offered_only_for_active_images_to_members(alice, alice_web, admin_web):
    queued = alice.create_image(name="empty", disk_format="raw", container_format="bare")
    image = active(alice, "ready")
    button = "Ask to publish"
    assert button not in alice_web.get(f"/catalog/images/{queued['id']}/").content.decode()
    assert button in alice_web.get(f"/catalog/images/{image['id']}/").content.decode()
    # Admins publish directly: no request to file.
    assert button not in admin_web.get(f"/catalog/images/{image['id']}/").content.decode()
    assert_status(alice.post(f"/v2/images/{image['id']}/actions/deactivate"), 204)
    assert button not in alice_web.get(f"/catalog/images/{image['id']}/").content.decode()
    # Posting anyway is refused with the service's message.
    response = alice_web.post(f"/catalog/images/{image['id']}/request-publication/", follow=True)
    assert "only active images can be published" in response.content.decode()
    assert not PublicationRequest.objects.exists()


def test_the_rejection_message_is_spelled_right(alice, admin_web):
    image = active(alice, "typo")
    ask(alice, image["id"])
    row = PublicationRequest.objects.get()
    response = admin_web.post(
        f"/catalog/publications/{row.pk}/decide/",
        {"decision": "reject", "reason": "Not yet"},
        follow=True,
    )
    assert "Publication request rejected." in response.content.decode()
