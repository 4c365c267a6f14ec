"""An import's task events, with the real worker in-process: task.create, task.processing,
then task.success, or task.failure at ERROR; never Glance's late task.run (W27)."""

import pytest

from catalog.models import AuditRecord, Task
from tests.conftest import assert_status

from .test_import_api import import_, raw, stage

pytestmark = pytest.mark.django_db(transaction=True)


def task_events(task_id):
    return list(
        AuditRecord.objects.filter(target_id=task_id)
        .order_by("id")
        .values_list("event_type", "priority")
    )


def test_glance_direct_task_events(alice, run_worker, staging_dir):
    image = raw(alice)
    assert_status(stage(alice, image["id"], b"\x01" * 512), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    run_worker()
    task = Task.objects.get(image_id=image["id"])
    assert task_events(task.pk) == [
        ("task.create", "INFO"),
        ("task.processing", "INFO"),
        ("task.success", "INFO"),
    ]
    image_events = AuditRecord.objects.filter(target_id=image["id"]).order_by("id")
    assert [r.event_type for r in image_events] == [
        "image.create",
        "image.update",
        "image.update",
        "image.upload",
        "image.activate",
        "image.update",
    ]  # create, stage (queued -> uploading), import (-> importing), then the worker's
    create = AuditRecord.objects.get(target_id=task.pk, event_type="task.create")
    assert create.user_name == "alice" and create.owner == alice.project_id


def test_failed_web_download_is_task_failure_at_error(
    alice, run_worker, file_server, open_loopback
):
    image = raw(alice)
    body = {"method": {"name": "web-download", "uri": f"{file_server}/missing"}}
    assert_status(import_(alice, image["id"], body), 202)
    run_worker()
    task = Task.objects.get(image_id=image["id"])
    assert task.status == "failure"
    assert task_events(task.pk) == [
        ("task.create", "INFO"),
        ("task.processing", "INFO"),
        ("task.failure", "ERROR"),
    ]
    assert not AuditRecord.objects.filter(event_type="task.run").exists()
