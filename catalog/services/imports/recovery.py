"""Imports whose worker died (their lease expired, ``catalog.services.recovery`` found it):
queued again while they have attempts left, failed cleanly after that, so that nothing stays
``importing``."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.data import staging, stores
from catalog.domain import imports as import_rules
from catalog.domain.imports import DataSource
from catalog.models import Image, ImageLocation, Lease, Task
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
    targets = list(task.input.get("backend") or [])
    if task.image_id:
        _discard_partial_writes(task.image_id, targets)
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
    worker.fail(task, image, request, targets, INTERRUPTED)
    return "failed"


def _discard_partial_writes(image_id: str, targets: list[str]) -> None:
    """What the dead attempt left half-written: temporary files in the staging area (the
    staged data itself stays for the next attempt), and its writes to target stores that hold
    no copy of the image yet."""
    staging.staging_store().remove_temporaries_of(image_id)
    present = set(ImageLocation.objects.filter(image_id=image_id).values_list("store", flat=True))
    for store_id in targets:
        store = stores.get_store(store_id)
        if store is not None and not store.read_only and store_id not in present:
            store.discard_unfinished(image_id)


def hand_back(task_id: str, message: str) -> bool:
    """A task its worker is giving up (a graceful shutdown) becomes pending again, for its
    job to run once more (the worker puts the job back in the queue); False when it had
    moved on."""
    with transaction.atomic():
        updated = Task.objects.filter(pk=task_id, status=Task.Status.PROCESSING).update(
            status=Task.Status.PENDING, updated_at=timezone.now(), message=message
        )
        if updated:
            Lease.objects.filter(task_id=task_id).delete()
    return bool(updated)
