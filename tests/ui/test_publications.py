"""Publication requests in the HTML catalog: owners follow them, admins decide."""

from catalog.choices import PublicationStatus
from catalog.models import Image, PublicationRequest
from tests.conftest import assert_status


def ask(alice, image_id):
    response = alice.post(
        f"/v2/x-vitrine/images/{image_id}/publication-requests", {"message": "tested"}
    )
    return assert_status(response, 201).json()


def test_admin_approves_in_the_ui_and_the_image_becomes_public(alice, admin_web):
    image = alice.create_image(name="golden")
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
    image = alice.create_image(name="draft")
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
    image = alice.create_image(name="mine")
    ask(alice, image["id"])
    row = PublicationRequest.objects.get()
    page = alice_web.get("/catalog/publications/").content.decode()
    assert "Approve" not in page
    response = alice_web.post(
        f"/catalog/publications/{row.pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert "publicize_image" in response.content.decode()
    assert PublicationRequest.objects.get().status == PublicationStatus.PENDING
