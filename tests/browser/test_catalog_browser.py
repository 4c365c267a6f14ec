"""The HTML catalog in a real browser: log in, create and upload, edit, share and accept,
usage and its chart, and publication approved in the Django admin."""

import hashlib

import pytest

from tests.livesrv import serve_bytes

MiB = 1024 * 1024

# Records the upload progress bar's values and figures as the page changes them (the
# binding outlives the navigation to the image page that follows a finished upload).
WATCH_PROGRESS = """
() => {
  const bar = document.getElementById("upload-progress");
  const figures = document.getElementById("upload-figures");
  new MutationObserver(() => window.reportProgress(bar.value, figures.textContent))
    .observe(bar, {attributes: true, attributeFilter: ["value"]});
}
"""


def new_image(live, persona="alice", **fields) -> str:
    body = {"disk_format": "raw", "container_format": "bare", **fields}
    status, created = live.api(persona, "POST", "/v2/images", body)
    assert status == 201, created
    return created["id"]


def test_login_page_and_catalog_list(sessions, live):
    alice = sessions("alice")
    new_image(live, name="listed-image", tags=["browser"])
    alice.page.goto("/catalog/images/")
    assert alice.page.locator("text=listed-image").count() == 1
    assert alice.page.locator(".badge.vis-shared").count() >= 1
    alice.page.fill("#f-q", "listed")
    with alice.page.expect_navigation():
        alice.page.click("form.filters button[type=submit]")
    alice.page.wait_for_url("**q=listed**")
    assert alice.page.locator("tbody tr").count() == 1
    alice.shot("02-catalog-list")
    alice.page.goto("/catalog/")
    alice.shot("01-home")
    assert not alice.errors


def test_create_and_upload_50_mib_with_progress(sessions, live, big_file):
    alice = sessions("alice")
    page = alice.page
    page.goto("/catalog/images/new/")
    page.fill("#id_name", "big-upload")
    page.select_option("#id_disk_format", "raw")
    page.select_option("#id_visibility", "private")
    page.fill("#id_properties", "os_distro=debian")
    alice.shot("03-new-image")
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/upload/")
    alice.shot("04-upload-page")

    seen: list[tuple[float, str]] = []
    page.expose_function("reportProgress", lambda value, text: seen.append((value, text)))
    page.evaluate(WATCH_PROGRESS)
    # Chromium's network emulation slows the upload (about 2 s) so that it is seen midway.
    cdp = alice.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 25 * MiB},
    )
    page.set_input_files("#upload-file", str(big_file))
    page.click("#upload-button")
    page.wait_for_function(
        "() => document.getElementById('upload-progress').value >= 30", timeout=60_000
    )
    alice.shot("05-upload-in-progress")
    page.wait_for_url("**/catalog/images/*/", timeout=120_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    assert seen, "the progress bar never moved"
    assert max(value for value, _ in seen) == 100
    assert any(0 < value < 100 for value, _ in seen), "no progress seen between 0 and 100"
    assert any("50.0 MiB" in text and "%" in text and "/s" in text for _, text in seen), seen

    expected = hashlib.md5(big_file.read_bytes()).hexdigest()
    assert page.locator("[data-attribute=checksum]").inner_text().strip() == expected
    assert page.locator("[data-attribute=status]").inner_text().strip() == "active"
    image_id = page.locator("[data-attribute=id]").inner_text().strip()
    _, stored = live.api("alice", "GET", f"/v2/images/{image_id}")
    assert (stored["checksum"], stored["size"]) == (expected, 50 * MiB)
    alice.shot("06-image-detail-after-upload")
    assert not alice.errors


def test_a_refused_upload_says_why_and_keeps_the_image_queued(sessions, live, tmp_path):
    alice = sessions("alice")
    image_id = new_image(live, name="not-qcow2", disk_format="qcow2")
    junk = tmp_path / "junk.qcow2"
    junk.write_bytes(b"this is not a qcow2 image" * 4096)
    alice.page.goto(f"/catalog/images/{image_id}/upload/")
    alice.page.set_input_files("#upload-file", str(junk))
    alice.page.click("#upload-button")
    error = alice.page.locator("#upload-error")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("Upload refused:")
    assert "qcow2" in error.inner_text()
    alice.shot("06b-upload-refused")
    assert live.api("alice", "GET", f"/v2/images/{image_id}")[1]["status"] == "queued"
    alice.errors.clear()  # the refused PUT (415) is the point of this test


def test_edit_with_form_errors_then_saved(sessions, live):
    alice = sessions("alice")
    page = alice.page
    image_id = new_image(live, name="to-edit")
    page.goto(f"/catalog/images/{image_id}/")
    page.click("summary")
    page.fill("#id_properties", "no equals sign")
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    assert page.locator(".error", has_text="write each property as key=value").count() == 1
    alice.shot("07-edit-form-error")
    assert all("400" in error for error in alice.errors)  # the refused form, nothing else
    alice.errors.clear()
    page.fill("#id_name", "edited-name")
    page.fill("#id_properties", "os_distro=alpine\nhw_firmware_type=uefi")
    page.fill("#id_tags", "edited, browser")
    page.check("#id_protected")
    with page.expect_navigation():
        page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"**/catalog/images/{image_id}/")
    assert page.locator("text=Image saved.").count() == 1
    alice.shot("08-image-edited")
    _, stored = live.api("alice", "GET", f"/v2/images/{image_id}")
    assert stored["name"] == "edited-name" and stored["protected"] is True
    assert stored["hw_firmware_type"] == "uefi" and stored["tags"] == ["edited", "browser"]
    assert not alice.errors


def test_share_and_accept_as_the_other_project(sessions, live):
    alice, bob = sessions("alice"), sessions("bob")
    image_id = new_image(live, name="shared-in-browser", visibility="shared")
    alice.page.goto(f"/catalog/images/{image_id}/")
    alice.page.fill("#id_project", "project-b")
    with alice.page.expect_navigation():
        alice.page.click("form.inline-form button[type=submit]")
    alice.page.wait_for_url(f"**/catalog/images/{image_id}/")
    assert alice.page.locator(".member-pending").count() == 1
    alice.shot("09-shared-pending")

    bob.page.goto("/catalog/invitations/")
    row = bob.page.locator("tr", has_text="shared-in-browser")
    bob.shot("10-invitations")
    with bob.page.expect_navigation():
        row.locator("button[value=accepted]").click()
    bob.page.wait_for_url("**/catalog/invitations/")
    bob.page.goto("/catalog/images/")
    assert bob.page.locator("text=shared-in-browser").count() == 1
    bob.shot("11-list-of-the-member")
    members = live.api("alice", "GET", f"/v2/images/{image_id}/members")[1]["members"]
    assert [(m["member_id"], m["status"]) for m in members] == [(live.projects["b"], "accepted")]
    assert not bob.errors


def test_quota_usage_and_its_chart(sessions, live):
    alice = sessions("alice")
    alice.page.goto("/catalog/usage/")
    chart = alice.page.locator("img.chart")
    chart.wait_for()
    assert chart.evaluate("img => img.complete && img.naturalWidth") == 1120
    # The chart fills the content column (it used half of it).
    column = alice.page.evaluate("document.querySelector('section.usage').clientWidth")
    assert chart.evaluate("img => img.getBoundingClientRect().width") >= column * 0.9
    assert alice.page.locator("caption", has_text="project-a").count() == 1
    assert alice.page.locator("text=project-b").count() == 0
    alice.shot("12-usage")
    assert not alice.errors


def test_web_download_import_and_its_task(sessions, live):
    data = b"\xab" * (3 * MiB)

    url, httpd = serve_bytes(data)
    try:
        alice = sessions("alice")
        image_id = new_image(live, name="imported")
        alice.page.goto(f"/catalog/images/{image_id}/upload/")
        alice.page.fill("#id_uri", url)
        with alice.page.expect_navigation():
            alice.page.click("section:has(#import-title) button[type=submit]")
        alice.page.wait_for_url(f"**/catalog/images/{image_id}/")
        alice.shot("13-import-started")
        # The page follows the task and reloads when the import is over.
        alice.page.locator("[data-attribute=status]", has_text="active").wait_for(timeout=60_000)
        assert alice.page.locator(".task-success").count() == 1
        alice.shot("14-import-finished")
    finally:
        httpd.shutdown()
    _, stored = live.api("alice", "GET", f"/v2/images/{image_id}")
    assert stored["checksum"] == hashlib.md5(data).hexdigest()


def test_publication_approved_in_the_admin(sessions, live):
    alice = sessions("alice")
    image_id = new_image(live, name="to-publish")
    live.upload("alice", image_id)
    alice.page.goto(f"/catalog/images/{image_id}/")
    with alice.page.expect_navigation():
        alice.page.click("text=Ask to publish")
    assert alice.page.locator("text=Publication requested.").count() == 1

    admin = sessions("admin")
    page = admin.page
    page.goto("/admin/catalog/publicationrequest/?status__exact=pending")
    admin.shot("15-admin-publication-requests")
    page.locator("tr", has_text="to-publish").locator("input.action-select").check()
    page.select_option("select[name=action]", "approve_requests")
    with page.expect_navigation():
        page.click("button[name=index]")
    page.fill("textarea[name=reason]", "Checked in the browser test")
    admin.shot("16-admin-approve-form")
    with page.expect_navigation():
        page.click("input[type=submit][value=Confirm]")
    assert page.locator("text=1 request(s) decided.").count() == 1
    assert live.api("alice", "GET", f"/v2/images/{image_id}")[1]["visibility"] == "public"
    page.goto(f"/admin/catalog/image/?q={image_id}")
    assert page.locator("td.field-visibility_badge", has_text="public").count() == 1
    admin.shot("17-admin-images")
    assert not admin.errors, admin.errors


@pytest.mark.parametrize("path", ["/catalog/images/", "/catalog/usage/", "/catalog/invitations/"])
def test_pages_load_without_csp_violations(sessions, path):
    bob = sessions("bob")
    bob.errors.clear()
    bob.page.goto(path)
    bob.page.wait_for_load_state("networkidle")
    assert not bob.errors, bob.errors
