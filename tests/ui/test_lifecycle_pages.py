"""The lifecycle in the HTML catalog: the checklist on the publication requests page, the
deprecation badge and successor link, current images first, the admin's publication with an
override reason, and the web-download form's expected hash."""

from unittest import mock

from catalog.models import Image, PublicationRequest
from catalog.services import checklist
from tests.conftest import assert_status
from tests.ui.conftest import give_data


def active(persona, name, **body):
    image = persona.create_image(name=name, disk_format="raw", container_format="bare", **body)
    give_data(persona, image["id"])
    return image


def test_the_requests_page_lists_checks_and_blocks_approval(alice, admin_web):
    image = active(alice, "needs-distro", min_ram=128)
    assert_status(alice.post(f"/v2/x-vitrine/images/{image['id']}/publication-requests", {}), 201)
    checklist.set_rule_enabled("required_properties", True)
    checklist.set_rule_enabled("min_ram", True)
    html = admin_web.get("/catalog/publications/").content.decode()
    assert 'data-rule="required_properties" data-passed="false"' in html
    assert "Missing properties: os_distro, os_version, architecture." in html
    assert 'data-rule="min_ram" data-passed="true"' in html
    assert 'value="approve" disabled' in html
    row = PublicationRequest.objects.get()
    response = admin_web.post(
        f"/catalog/publications/{row.pk}/decide/", {"decision": "approve"}, follow=True
    )
    assert "fails the publication checklist: required_properties" in response.content.decode()
    assert PublicationRequest.objects.get().status == "pending"


def test_deprecated_images_show_a_badge_and_their_successor(alice, alice_web):
    new = active(alice, "new")
    old = active(alice, "old", x_vitrine_deprecated="true", x_vitrine_superseded_by=new["id"])
    html = alice_web.get(f"/catalog/images/{old['id']}/").content.decode()
    assert 'class="badge badge-deprecated"' in html
    assert f'href="/catalog/images/{new["id"]}/" data-successor="{new["id"]}"' in html
    listing = alice_web.get("/catalog/images/").content.decode()
    # Newest first would put "old" first; the default sort shows current images first.
    assert listing.index(f"/catalog/images/{new['id']}/") < listing.index(
        f"/catalog/images/{old['id']}/"
    )


def test_admin_publishing_in_the_edit_form_needs_an_override_reason(alice, admin_web):
    image = active(alice, "direct")
    checklist.set_rule_enabled("min_ram", True)
    url = f"/catalog/images/{image['id']}/edit/"
    data = {"name": "direct", "visibility": "public", "properties": "", "tags": ""}
    response = admin_web.post(url, data)
    assert "fails the publication checklist: min_ram" in response.content.decode()
    assert Image.objects.get(pk=image["id"]).visibility != "public"
    assert_status(admin_web.post(url, {**data, "override_reason": "Tiny rescue image"}), 302)
    assert Image.objects.get(pk=image["id"]).visibility == "public"
    record = PublicationRequest.objects.get()
    assert record.direct and record.checks_overridden == ["min_ram"]
    assert record.decision_reason == "Tiny rescue image"


def test_the_web_download_form_sends_the_expected_hash(alice, alice_web, settings):
    settings.CATALOG_ENABLED_IMPORT_METHODS = ["glance-direct", "web-download"]
    image = alice.create_image(name="dl", disk_format="raw", container_format="bare")
    url = f"/catalog/images/{image['id']}/upload/"
    html = alice_web.get(url).content.decode()
    assert 'name="hash_algo"' in html and 'name="hash_value"' in html
    page = alice_web.post(url, {"uri": "https://example.com/x.img", "hash_algo": "sha256"})
    assert "Give both the hash algorithm and its value" in page.content.decode()
    with mock.patch("catalog.services.imports.start_import") as start:
        value = "ab" * 32
        response = alice_web.post(
            url, {"uri": "https://example.com/x.img", "hash_algo": "sha256", "hash_value": value}
        )
    assert_status(response, 302)
    body = start.call_args.args[2]
    assert body["method"]["x_vitrine_expected_hash"] == {"algo": "sha256", "value": value}
