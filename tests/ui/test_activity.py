"""The audit trail in the HTML catalog: an image's History panel and the activity page."""

import pytest

from tests.conftest import assert_status


@pytest.fixture
def changed_image(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = alice.create_image(name="before")
        alice.patch(
            f"/v2/images/{image['id']}", [{"op": "replace", "path": "/name", "value": "after"}]
        )
        alice.post(f"/v2/images/{image['id']}/members", {"member": bob.project_id})
        bob.create_image(name="bobs")
    return image["id"]


def test_history_panel_lists_changes_in_order(alice_web, changed_image):
    page = assert_status(alice_web.get(f"/catalog/images/{changed_image}/"), 200)
    history = [r.event_type for r in page.context["history"]]
    assert history == ["image.create", "image.update", "image.member.create"]
    html = page.content.decode()
    assert "History" in html and "before → after" in html


def test_member_of_another_project_sees_only_its_own_records(bob_web, changed_image):
    page = assert_status(bob_web.get(f"/catalog/images/{changed_image}/"), 200)
    assert page.context["history"] == []


def test_activity_page_shows_the_project_records_and_filters(alice_web, changed_image):
    page = assert_status(alice_web.get("/catalog/activity/"), 200)
    assert {r.target_id for r in page.context["rows"]} == {changed_image}
    members = alice_web.get("/catalog/activity/", {"event_type": "image.member"})
    assert [r.event_type for r in members.context["rows"]] == ["image.member.create"]


def test_webhook_added_from_the_activity_page(alice_web, settings):
    settings.CATALOG_IMPORT_ALLOWED_HOSTS = ["hooks.example"]
    settings.CATALOG_IMPORT_ALLOWED_PORTS = []
    response = alice_web.post(
        "/catalog/activity/webhooks/", {"url": "http://127.0.0.1:9/x"}, follow=True
    )
    assert "not allowed" in response.content.decode() or "127.0.0.1" in response.content.decode()
    assert response.context["subscriptions"] == []
