"""The audit trail of a scripted scenario (create, patch, share, publication request,
approval in the admin, deactivate, delete) reads back in order, with actors and
before/after values: in the image's History panel (Chromium), the API and the admin."""

import json

from tests.browser.test_catalog_browser import new_image

PATCH = "application/openstack-images-v2.1-json-patch"


def patch(live, persona, image_id, ops):
    conn = live.connection()
    try:
        conn.request(
            "PATCH",
            f"/v2/images/{image_id}",
            body=json.dumps(ops),
            headers={"X-Auth-Token": live.tokens[persona], "Content-Type": PATCH},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_scripted_scenario_in_history_api_and_admin(sessions, live):
    image_id = new_image(live, name="audited", visibility="shared")
    assert (
        patch(live, "alice", image_id, [{"op": "replace", "path": "/name", "value": "renamed"}])
        == 200
    )
    status, _ = live.api(
        "alice", "POST", f"/v2/images/{image_id}/members", {"member": live.projects["b"]}
    )
    assert status == 200

    # Only an active image can be asked for (and deactivated): data first.
    conn = live.connection()
    conn.request(
        "PUT",
        f"/v2/images/{image_id}/file",
        body=b"a" * 4096,
        headers={"X-Auth-Token": live.tokens["alice"], "Content-Type": "application/octet-stream"},
    )
    assert conn.getresponse().status == 204
    conn.close()

    alice = sessions("alice")
    alice.page.goto(f"/catalog/images/{image_id}/")
    with alice.page.expect_navigation():
        alice.page.click("text=Ask to publish")

    admin = sessions("admin")
    page = admin.page
    page.goto("/admin/catalog/publicationrequest/?status__exact=pending")
    page.locator("tr", has_text="renamed").locator("input.action-select").check()
    page.select_option("select[name=action]", "approve_requests")
    with page.expect_navigation():
        page.click("button[name=index]")
    page.fill("textarea[name=reason]", "audit scenario")
    with page.expect_navigation():
        page.click("input[type=submit][value=Confirm]")

    assert live.api("alice", "POST", f"/v2/images/{image_id}/actions/deactivate")[0] == 204

    alice.page.goto(f"/catalog/images/{image_id}/")
    rows = alice.page.locator("#history tbody tr")
    events = [rows.nth(i).get_attribute("data-event") for i in range(rows.count())]
    assert events == [
        "image.create",
        "image.update",
        "image.member.create",
        "image.update",
        "image.prepare",
        "image.upload",
        "image.activate",
        "image.update",
        "publication.request",
        "image.update",
        "publication.approved",
        "image.update",
    ]
    panel = alice.page.locator("#history").inner_text()
    assert "name: audited → renamed" in panel
    assert "visibility: shared → public" in panel
    assert "status: active → deactivated" in panel
    assert "admin" in panel and "alice" in panel
    alice.shot("20-history-panel")

    assert live.api("alice", "DELETE", f"/v2/images/{image_id}")[0] == 204
    _, listed = live.api("alice", "GET", f"/v2/x-vitrine/events?target_id={image_id}&sort_dir=asc")
    read_back = [(e["event_type"], e["user_name"]) for e in listed["events"]]
    assert read_back[0] == ("image.create", "alice")
    assert ("image.update", "admin") in read_back  # the approval's visibility change
    assert read_back[-1] == ("image.delete", "alice")

    page.goto(f"/admin/catalog/auditrecord/?q={image_id}")
    assert page.locator("td.field-event_type", has_text="image.delete").count() == 1
    assert page.locator("td.field-event_type", has_text="publication.approved").count() == 1
    admin.shot("21-admin-audit-records")
    assert not alice.errors, alice.errors
    assert not admin.errors, admin.errors
