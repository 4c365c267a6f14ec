"""The outbox's bound, disabled event types, and the audit retention job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import AuditRecord, OutboxMessage
from catalog.services import event_delivery
from catalog.worker import jobs


@pytest.fixture
def commits(django_capture_on_commit_callbacks, settings):
    settings.CATALOG_NOTIFICATIONS_URL = "rabbit://guest:guest@127.0.0.1:1/"

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def test_outbox_is_bounded_and_the_audit_trail_is_not(alice, commits, settings, caplog):
    settings.CATALOG_NOTIFICATIONS_OUTBOX_MAX = 2
    for n in range(4):
        commits(alice.create_image, name=f"i{n}")
    assert OutboxMessage.objects.count() == 2
    assert AuditRecord.objects.count() == 4
    assert "outbox full" in caplog.text


def test_disabled_types_and_groups_are_not_published(alice, commits, settings):
    settings.CATALOG_NOTIFICATIONS_DISABLED = ["image.update", "image.member"]
    image = commits(alice.create_image, name="x")
    commits(alice.patch, f"/v2/images/{image['id']}", [{"op": "add", "path": "/a", "value": "b"}])
    assert list(OutboxMessage.objects.values_list("event_type", flat=True)) == ["image.create"]
    assert AuditRecord.objects.count() == 2


def test_nothing_is_published_without_a_url(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alice.create_image(name="quiet")
    assert not OutboxMessage.objects.exists()
    assert event_delivery.publish_outbox() == 0


def test_retention_purges_old_records_only(alice, commits, settings):
    commits(alice.create_image, name="old")
    commits(alice.create_image, name="new")
    old = AuditRecord.objects.order_by("id").first()
    AuditRecord.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=40))
    settings.CATALOG_AUDIT_RETENTION_DAYS = 0
    assert event_delivery.purge_audit() == 0
    settings.CATALOG_AUDIT_RETENTION_DAYS = 30
    assert event_delivery.purge_audit() == 1
    assert list(AuditRecord.objects.values_list("pk", flat=True)) != [old.pk]
    assert AuditRecord.objects.count() == 1


def test_the_worker_runs_delivery_and_retention():
    names = {job.name: job for job in jobs.PERIODIC}
    assert names["event delivery"].run is event_delivery.run_delivery
    assert names["audit retention"].run is event_delivery.purge_audit
