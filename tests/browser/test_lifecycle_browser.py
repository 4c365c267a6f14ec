"""The image lifecycle in Chromium: a member asks to publish an image missing os_distro; the
admin sees the failing rule and cannot approve; the member fixes the property; the rule turns
green; the admin approves; the previous version of the family becomes deprecated, with a link
to the new one."""

from tests.browser.test_catalog_browser import new_image

_SETUP = """
from catalog.models import FamilyPolicy
from catalog.services import checklist, families
checklist.set_rule_enabled("required_properties", True)
families.set_policy({owner!r}, "ubuntu", on_new_version=FamilyPolicy.DEPRECATE)
"""
COMPLETE = {"os_version": "24.04", "architecture": "x86_64"}


def test_checklist_blocks_then_approval_deprecates_the_previous_version(sessions, live):
    live._manage("shell", "-c", _SETUP.format(owner=live.projects["a"]))
    family = {"x_vitrine_family": "ubuntu"}
    old_id = new_image(
        live,
        name="ubuntu-old",
        x_vitrine_version="24.04-20240115",
        os_distro="ubuntu",
        **family,
        **COMPLETE,
    )
    new_id = new_image(
        live, name="ubuntu-new", x_vitrine_version="24.04-20240201", **family, **COMPLETE
    )
    for image_id in (old_id, new_id):
        live.upload("alice", image_id)

    alice = sessions("alice")
    alice.page.goto(f"/catalog/images/{new_id}/")
    with alice.page.expect_navigation():
        alice.page.click("text=Ask to publish")
    assert alice.page.locator("text=Publication requested.").count() == 1

    admin = sessions("admin")
    page = admin.page
    page.goto("/catalog/publications/")
    row = page.locator("tr", has_text="ubuntu-new")
    failing = row.locator('li[data-rule="required_properties"]')
    assert failing.get_attribute("data-passed") == "false"
    assert "os_distro" in failing.inner_text()
    assert row.locator('button[value="approve"]').is_disabled()
    admin.shot("lifecycle-01-failing-rule")

    # The member adds the missing property in the edit form.
    alice.page.goto(f"/catalog/images/{new_id}/")
    alice.page.click("#edit-title")
    textarea = alice.page.locator("#id_properties")
    textarea.fill((textarea.input_value() + "\nos_distro=ubuntu").strip())
    with alice.page.expect_navigation():
        alice.page.click("form[action$='/edit/'] button[type=submit]")
    assert alice.page.locator("text=Image saved.").count() == 1

    page.goto("/catalog/publications/")
    row = page.locator("tr", has_text="ubuntu-new")
    assert row.locator('li[data-rule="required_properties"]').get_attribute("data-passed") == "true"
    admin.shot("lifecycle-02-rule-green")
    with page.expect_navigation():
        row.locator('button[value="approve"]').click()
    assert page.locator("text=Publication request approved.").count() == 1

    _, shown = live.api("alice", "GET", f"/v2/images/{new_id}")
    assert shown["visibility"] == "public"
    alice.page.goto(f"/catalog/images/{old_id}/")
    assert alice.page.locator(".badge-deprecated").count() == 1
    link = alice.page.locator(f'a[data-successor="{new_id}"]')
    assert link.count() == 1
    alice.shot("lifecycle-03-deprecated-with-successor")
    with alice.page.expect_navigation():
        link.click()
    assert alice.page.url.endswith(f"/catalog/images/{new_id}/")
    assert alice.errors == [] and admin.errors == []
