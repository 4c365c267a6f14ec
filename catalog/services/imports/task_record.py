"""The ``Task`` row of an import, the durable record the worker keeps up to date: claimed
(with its lease, ``catalog.services.leases``), noting progress while data moves, finished
(the lease given up)."""

import time
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Lease, Task
from catalog.reads.queries import running_imports as running_for
from catalog.services import events, leases, quotas

HEARTBEAT_SECONDS = 2.0
MiB = 1024 * 1024


class ImportFailed(Exception):
    """The import cannot complete; the message goes to the task record."""


class ProjectBusy(Exception):
    """The task's project already runs CATALOG_IMPORT_PER_PROJECT imports: try later."""


def claim(task_id: str) -> tuple[Task, Lease] | None:
    """Take a pending task for this worker, with the lease that says it works on it (None:
    already done, failed or taken). ``ProjectBusy`` when its project already runs its share
    of imports: the limit holds whatever queue delivered the job, and under the project's
    lock, so that workers claiming at once cannot pass it together."""
    owner = Task.objects.filter(pk=task_id).values_list("owner", flat=True).first()
    with transaction.atomic():
        if owner:
            quotas.lock_project(owner)
        task = Task.objects.select_for_update().filter(pk=task_id).first()
        if task is None or task.status != Task.Status.PENDING:
            return None  # already done, failed or taken by another worker
        if owner and running_for(owner) >= settings.CATALOG_IMPORT_PER_PROJECT:
            raise ProjectBusy()
        task.status = Task.Status.PROCESSING
        task.attempts += 1
        task.updated_at = timezone.now()
        task.message = ""
        task.save(update_fields=["status", "attempts", "updated_at", "message"])
        events.task(None, "task.processing", task)
        lease = leases.acquire(Lease.IMPORT, task.image_id or "", task_id=task.pk)
    return task, lease


def heartbeat(task: Task, chunks: Iterable[bytes], verb: str) -> Iterator[bytes]:
    """Pass chunks through, recording progress on the task every few seconds; stop when the
    task was failed meanwhile (an admin, a newer import) or taken over by the recovery sweep
    (requeued: another status, or another attempt)."""
    done, last = 0, time.monotonic()
    for chunk in chunks:
        done += len(chunk)
        if time.monotonic() - last >= HEARTBEAT_SECONDS:
            last = time.monotonic()
            alive = Task.objects.filter(
                pk=task.pk, status=Task.Status.PROCESSING, attempts=task.attempts
            ).update(updated_at=timezone.now(), message=f"{verb} {done // MiB} MiB")
            if not alive:
                raise ImportFailed("The task was stopped while it ran.")
        yield chunk


def note(task: Task, message: str) -> None:
    Task.objects.filter(pk=task.pk).update(message=message, updated_at=timezone.now())


def finish(task: Task, status: str, message: str, result=None) -> None:
    now = timezone.now()
    task.secret = ""
    task.status = status
    task.message = message
    task.result = result
    task.updated_at = now
    task.expires_at = now + timedelta(hours=settings.CATALOG_TASK_TIME_TO_LIVE)
    task.save(
        update_fields=["status", "message", "result", "updated_at", "expires_at", "input", "secret"]
    )
    leases.release_task(task.pk)
    # task.success or task.failure (at ERROR); no task.run: docs/glance-differences.md#notifications
    events.task(None, f"task.{status}", task)
