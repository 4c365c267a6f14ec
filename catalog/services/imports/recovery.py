"""Imports whose worker died (their lease expired, ``catalog.services.recovery`` found it):
queued again while they have attempts left, failed cleanly after that, so that nothing stays
``importing``."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.data import staging
from catalog.domain import imports as import_rules
from catalog.domain.imports import DataSource
from catalog.models import Image, Lease, Task
from catalog.services.imports import queue, worker

INTERRUPTED = "The import was interrupted and could not be resumed."


def recover_import(task_id: str) -> str | None:
    """Requeue or fail the task of a dead import (call with its lease already claimed, inside
    a transaction). Returns "requeued", "failed", or None when the task had moved on."""
    task = Task.objects.select_for_update().filter(pk=task_id).first()
    if task is None or task.status != Task.Status.PROCESSING:
        return None
    request = import_rules.parse_import_request(task.input["import_req"], import_rules.ALL_METHODS)
    image = Image.objects.filter(pk=task.image_id, deleted=False).first()
    # Data the caller staged cannot be fetched again: without it there is no restart.
    restartable = image is not None and (
        request.kind.source is not DataSource.STAGED or staging.has_staged_data(image.pk)
    )
    if restartable and task.attempts < settings.CATALOG_IMPORT_MAX_ATTEMPTS:
        task.status = Task.Status.PENDING
        task.updated_at = timezone.now()
        task.message = f"Restarted after its worker stopped (attempt {task.attempts})."
        task.save(update_fields=["status", "updated_at", "message"])
        queue.enqueue_in_transaction(task.pk)
        return "requeued"
    worker.fail(task, image, request, list(task.input.get("backend") or []), INTERRUPTED)
    return "failed"


def requeue(task_id: str, message: str) -> bool:
    """Hand a task this worker is giving up (a graceful shutdown) back to the queue, as a
    new attempt of the same task; False when it had moved on."""
    with transaction.atomic():
        updated = Task.objects.filter(pk=task_id, status=Task.Status.PROCESSING).update(
            status=Task.Status.PENDING, updated_at=timezone.now(), message=message
        )
        if updated:
            Lease.objects.filter(task_id=task_id).delete()
            queue.enqueue_in_transaction(task_id)
    return bool(updated)
