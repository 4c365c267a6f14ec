"""GET /v2/x-vitrine/events: who sees what, filters, marker pages; no way to change a
record."""

import pytest

from catalog.models import AuditRecord
from tests.conftest import assert_status


@pytest.fixture
def history(alice, bob, commits):
    mine = commits(alice.create_image, name="a1")
    commits(alice.patch, f"/v2/images/{mine['id']}", [{"op": "add", "path": "/k", "value": "v"}])
    theirs = commits(bob.create_image, name="b1")
    return mine["id"], theirs["id"]


def ids(response):
    return [e["target_id"] for e in response.json()["events"]]


def test_member_sees_own_project_admin_sees_all(alice, bob, admin, history):
    mine, theirs = history
    seen = assert_status(alice.get("/v2/x-vitrine/events"), 200).json()["events"]
    assert {e["target_id"] for e in seen} == {mine}
    assert [e["event_type"] for e in seen] == ["image.update", "image.create"]  # newest first
    assert seen[0]["changes"] == {"k": [None, "v"]}
    assert seen[0]["user_name"] == "alice" and seen[0]["request_id"].startswith("req-")
    assert set(ids(admin.get("/v2/x-vitrine/events"))) == {mine, theirs}
    assert set(ids(bob.get("/v2/x-vitrine/events"))) == {theirs}


def test_filters_and_marker_pages(alice, admin, history):
    mine, _ = history
    only = admin.get("/v2/x-vitrine/events", event_type="image.update").json()["events"]
    assert [e["target_id"] for e in only] == [mine]
    group = admin.get("/v2/x-vitrine/events", event_type="image", target_id=mine).json()
    assert len(group["events"]) == 2
    first = assert_status(admin.get("/v2/x-vitrine/events", limit="2", sort_dir="asc"), 200).json()
    assert len(first["events"]) == 2 and "marker=" in first["next"]
    marker = first["events"][-1]["id"]
    second = admin.get("/v2/x-vitrine/events", limit="2", sort_dir="asc", marker=marker).json()
    assert [e["seq"] for e in second["events"]] == [
        r.pk for r in AuditRecord.objects.order_by("id")[2:4]
    ]
    assert_status(admin.get("/v2/x-vitrine/events", marker="nope"), 400)
    assert_status(admin.get("/v2/x-vitrine/events", since="yesterday"), 400)
    assert_status(admin.get("/v2/x-vitrine/events", sort_dir="up"), 400)
    assert_status(admin.get("/v2/x-vitrine/events", limit="x"), 400)


def test_reader_without_member_role_and_anonymous_are_refused(carol, anonymous, history):
    assert_status(carol.get("/v2/x-vitrine/events"), 403)
    assert_status(anonymous.get("/v2/x-vitrine/events"), 401)


def test_no_route_edits_or_deletes_a_record(admin, history):
    record = AuditRecord.objects.first()
    for method in ("post", "put", "patch", "delete"):
        response = admin.request(method, f"/v2/x-vitrine/events/{record.event_id}", body={})
        assert response.status_code in (404, 405)
        response = admin.request(method, "/v2/x-vitrine/events", body={})
        assert response.status_code in (404, 405)
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_openapi_documents_the_events_route(admin):
    document = assert_status(admin.get("/api/schema/", format="json"), 200)
    text = document.content.decode()
    assert "/v2/x-vitrine/events" in text and "x_vitrine_events_list" in text
