"""The publication checklist (rules switched on in the admin, verdicts in the request's
detail route), decisions through the API, and an admin's direct publication with an
override reason."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from catalog.context import RequestContext, expand_roles
from catalog.exceptions import Conflict
from catalog.models import ChecklistRule, Image, PublicationRequest
from catalog.services import checklist, publication
from tests.api.test_publication import active_image, requests_url
from tests.conftest import assert_status

GOOD = {"os_distro": "ubuntu", "os_version": "24.04", "architecture": "x86_64"}


def detail_url(request_id):
    return f"/v2/x-vitrine/publication-requests/{request_id}"


def switch_on(*names):
    for name in names:
        checklist.set_rule_enabled(name, True)


def admin_ctx():
    return RequestContext(
        user_id="admin", user_name="admin", project_id=None, roles=expand_roles(["admin"])
    )


@pytest.fixture
def asked(alice):
    image = active_image(alice, name="ask", min_ram=256, min_disk=1)
    body = assert_status(alice.post(requests_url(image["id"]), {}), 201).json()
    return image, body


def test_every_rule_starts_off_and_is_listed(db):
    names = set(ChecklistRule.objects.values_list("name", flat=True))
    assert names == {
        "min_disk",
        "min_ram",
        "required_properties",
        "allowed_values",
        "data_verified",
        "format_safe",
        "not_deprecated",
    }
    assert checklist.enabled_rules() == []


def test_the_detail_route_shows_the_checks(asked, alice, bob, admin):
    image, filed = asked
    switch_on("required_properties", "data_verified", "min_ram")
    body = assert_status(alice.get(detail_url(filed["id"])), 200).json()
    assert body["id"] == filed["id"] and body["image_id"] == image["id"]
    assert body["direct"] is False and body["checks_overridden"] == []
    assert body["checks"] == [
        {"rule": "min_ram", "passed": True, "reason": "min_ram is 256 MiB."},
        {
            "rule": "required_properties",
            "passed": False,
            "reason": "Missing properties: os_distro, os_version, architecture.",
        },
        {
            "rule": "data_verified",
            "passed": True,
            "reason": "The data was hashed on its way in (checksum and os_hash_value recorded).",
        },
    ]
    assert_status(admin.get(detail_url(filed["id"])), 200)
    assert_status(bob.get(detail_url(filed["id"])), 404)
    assert_status(alice.get(detail_url("999999")), 404)
    assert_status(alice.get(detail_url("not-a-number")), 404)


def test_approving_with_a_failing_check_is_a_409_naming_the_rules(asked, alice, admin):
    image, filed = asked
    switch_on("required_properties", "min_disk")
    url = detail_url(filed["id"]) + "/decision"
    response = assert_status(admin.post(url, {"decision": "approve"}), 409)
    assert response.json()["error"]["message"] == (
        f"Image {image['id']} fails the publication checklist: required_properties."
    )
    assert PublicationRequest.objects.get(pk=filed["id"]).status == "pending"
    assert Image.objects.get(pk=image["id"]).visibility != "public"
    # The owner fixes the properties: the rule turns green and the approval goes through.
    ops = [{"op": "add", "path": f"/{k}", "value": v} for k, v in GOOD.items()]
    assert_status(alice.patch(f"/v2/images/{image['id']}", ops), 200)
    checks = alice.get(detail_url(filed["id"])).json()["checks"]
    assert all(c["passed"] for c in checks), checks
    body = assert_status(admin.post(url, {"decision": "approve", "reason": "ok"}), 200).json()
    assert body["status"] == "approved" and body["decision_reason"] == "ok"
    assert Image.objects.get(pk=image["id"]).visibility == "public"


def test_decisions_through_the_api(asked, alice, admin):
    _, filed = asked
    url = detail_url(filed["id"]) + "/decision"
    response = assert_status(alice.post(url, {"decision": "approve"}), 403)
    assert "publicize_image" in response.json()["error"]["message"]
    response = assert_status(admin.post(url, {"decision": "reject"}), 400)
    assert response.json()["error"]["message"] == "The reason is required."
    response = assert_status(admin.post(url, {"decision": "maybe"}), 400)
    assert response.json()["error"]["message"] == "The decision must be one of: approve, reject."
    assert_status(admin.post(url, ["approve"]), 400)
    body = assert_status(admin.post(url, {"decision": "reject", "reason": "No."}), 200).json()
    assert body["status"] == "rejected"
    response = assert_status(admin.post(url, {"decision": "approve"}), 409)
    assert response.json()["error"]["message"] == (
        f"Publication request {filed['id']} was already rejected."
    )
    assert_status(admin.post(detail_url(424242) + "/decision", {"decision": "approve"}), 404)


def test_direct_publication_needs_an_override_reason_when_a_check_fails(alice):
    image = active_image(alice, name="direct")
    switch_on("min_ram")
    with pytest.raises(Conflict, match="fails the publication checklist: min_ram"):
        publication.publish_directly(admin_ctx(), image["id"])
    assert Image.objects.get(pk=image["id"]).visibility != "public"
    record = publication.publish_directly(admin_ctx(), image["id"], "Rescue image, tiny.")
    assert (record.status, record.direct, record.checks_overridden) == (
        "approved",
        True,
        ["min_ram"],
    )
    assert record.decision_reason == "Rescue image, tiny."
    assert Image.objects.get(pk=image["id"]).visibility == "public"


def test_direct_publication_closes_a_pending_request(asked):
    image, filed = asked
    record = publication.publish_directly(admin_ctx(), image["id"])
    assert record.pk == filed["id"] and record.status == "approved" and not record.direct


def test_admin_rule_page_switches_rules(admin):
    browser = Client()
    browser.force_login(get_user_model().objects.get(username="admin"))
    rule = ChecklistRule.objects.get(name="min_ram")
    url = f"/admin/catalog/checklistrule/{rule.pk}/change/"
    assert_status(browser.get("/admin/catalog/checklistrule/"), 200)
    assert_status(browser.post(url, {"enabled": "on"}), 302)
    assert checklist.enabled_rules() == ["min_ram"]


def test_the_admin_request_page_shows_the_checklist(asked, admin):
    _, filed = asked
    switch_on("min_ram", "required_properties")
    browser = Client()
    browser.force_login(get_user_model().objects.get(username="admin"))
    page = browser.get(f"/admin/catalog/publicationrequest/{filed['id']}/change/")
    html = assert_status(page, 200).content.decode()
    assert "\u2713 min_ram: min_ram is 256 MiB." in html
    assert "\u2717 required_properties: Missing properties" in html
