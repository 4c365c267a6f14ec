"""Imports whose worker died: restarted or failed when a worker starts, so that nothing
stays ``importing`` forever."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.data import staging
from catalog.domain import imports as import_rules
from catalog.domain.imports import DataSource
from catalog.models import Image, Task
from catalog.services.imports import queue, worker


def recover_interrupted_imports(now=None) -> dict[str, int]:
    """Tasks whose worker stopped (no heartbeat for CATALOG_IMPORT_STALE_AFTER seconds) are
    queued again while they have attempts left, and failed cleanly after that."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER)
    counts = {"restarted": 0, "failed": 0}
    # Finished tasks live for CATALOG_TASK_TIME_TO_LIVE hours (Glance's task_time_to_live).
    Task.objects.filter(expires_at__lt=now).delete()
    stale = Task.objects.filter(status=Task.Status.PROCESSING, updated_at__lt=cutoff)
    for task_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            task = (
                Task.objects.select_for_update()
                .filter(pk=task_id, status=Task.Status.PROCESSING, updated_at__lt=cutoff)
                .first()
            )
            if task is None:
                continue
            request = import_rules.parse_import_request(
                task.input["import_req"], import_rules.ALL_METHODS
            )
            image = Image.objects.filter(pk=task.image_id, deleted=False).first()
            # Data the caller staged cannot be fetched again: without it there is no restart.
            restartable = image is not None and (
                request.kind.source is not DataSource.STAGED or staging.has_staged_data(image.pk)
            )
            if restartable and task.attempts < settings.CATALOG_IMPORT_MAX_ATTEMPTS:
                task.status = Task.Status.PENDING
                task.updated_at = now
                task.message = f"Restarted after its worker stopped (attempt {task.attempts})."
                task.save(update_fields=["status", "updated_at", "message"])
                transaction.on_commit(lambda t=task.pk: queue.enqueue(t))
                counts["restarted"] += 1
                continue
            # Claimed while locked, so that a second recoverer skips it.
            task.status = Task.Status.FAILURE
            task.save(update_fields=["status"])
        worker.fail(
            task,
            image,
            request,
            list(task.input.get("backend") or []),
            "The import was interrupted and could not be resumed.",
        )
        counts["failed"] += 1
    return counts
