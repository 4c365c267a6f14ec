"""The audit trail: one record per domain change, written after the change commits, with
the actor, the request id, the client address and before/after values."""

import json

from catalog.identity import services as identity
from catalog.models import AuditRecord, OutboxMessage
from catalog.services import publication
from tests.conftest import assert_status


def types_of(image_id):
    return list(
        AuditRecord.objects.filter(target_id=image_id)
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def test_scripted_scenario_reads_back_in_order(alice, admin, bob, commits):
    image = commits(alice.create_image, name="audited", disk_format="raw", container_format="bare")
    image_id = image["id"]
    assert_status(
        commits(
            alice.patch,
            f"/v2/images/{image_id}",
            [{"op": "replace", "path": "/name", "value": "renamed"}],
        ),
        200,
    )
    assert_status(
        commits(alice.post, f"/v2/images/{image_id}/members", {"member": bob.project_id}), 200
    )
    # Only an active image can be asked for: the data comes first.
    upload = commits(
        alice.request,
        "put",
        f"/v2/images/{image_id}/file",
        raw=b"x" * 1024,
        content_type="application/octet-stream",
    )
    assert_status(upload, 204)
    assert_status(
        commits(
            alice.post,
            f"/v2/x-vitrine/images/{image_id}/publication-requests",
            {"message": "please"},
        ),
        201,
    )
    pending = AuditRecord.objects.get(event_type="publication.request").detail["request"]
    # Admins decide in the admin or the catalog UI; both call this service.
    admin_ctx = identity.context_for_token(admin.token, "req-decision")
    commits(publication.approve, admin_ctx, pending, "ok")
    assert_status(commits(admin.post, f"/v2/images/{image_id}/actions/deactivate"), 204)
    assert_status(commits(alice.delete, f"/v2/images/{image_id}"), 204)
    assert types_of(image_id) == [
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
        "image.delete",
    ]
    rename = (
        AuditRecord.objects.filter(target_id=image_id, event_type="image.update")
        .order_by("id")
        .first()
    )
    assert rename.changes == {"name": ["audited", "renamed"]}
    assert rename.user_name == "alice"
    assert rename.project_id == alice.project_id
    assert rename.request_id.startswith("req-")
    assert rename.client_address == "127.0.0.1"
    approve = AuditRecord.objects.get(event_type="image.update", changes__has_key="visibility")
    assert approve.changes["visibility"] == ["shared", "public"]
    assert approve.project_id == admin.project_id
    deactivate = AuditRecord.objects.filter(target_id=image_id, detail__action="deactivate").get()
    assert deactivate.changes == {"status": ["active", "deactivated"]}


def test_rolled_back_change_records_nothing(alice, bob, commits, settings):
    settings.CATALOG_IMAGE_MEMBER_QUOTA = 0
    image = commits(alice.create_image, name="x")
    response = commits(alice.post, f"/v2/images/{image['id']}/members", {"member": bob.project_id})
    assert_status(response, 413)
    assert types_of(image["id"]) == ["image.create"]


def test_without_commit_nothing_is_recorded(alice):
    # The test's own transaction never commits: the record waits for a commit that never comes.
    image = alice.create_image(name="never")
    assert not AuditRecord.objects.filter(target_id=image["id"]).exists()


def test_refused_upload_sends_upload_at_error_with_a_sentence(alice, commits, settings):
    settings.CATALOG_NOTIFICATIONS_URL = "rabbit://guest:guest@127.0.0.1:1/"  # outbox only
    image = commits(alice.create_image, name="q", disk_format="qcow2", container_format="bare")
    put = commits(
        alice.request,
        "put",
        f"/v2/images/{image['id']}/file",
        raw=bytes(4096),
        content_type="application/octet-stream",
    )
    assert_status(put, 415)
    assert types_of(image["id"]) == [
        "image.create",
        "image.update",
        "image.prepare",
        "image.upload",
        "image.update",
    ]
    failed = OutboxMessage.objects.get(event_type="image.upload")
    envelope = json.loads(json.loads(failed.body)["oslo.message"])
    assert failed.priority == envelope["priority"] == "ERROR"
    assert envelope["payload"] == (
        f"Failed to upload image data for image {image['id']}: "
        "Image disk_format qcow2 does not match stream data raw"
    )
    back = AuditRecord.objects.filter(target_id=image["id"]).order_by("id").last()
    assert back.changes == {"status": ["saving", "queued"]}
