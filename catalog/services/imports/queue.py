"""The import's background job (Django's tasks API, the django-tasks backport). A job carries
only the ``Task`` row's id: that row is the durable record, so a dead worker's import can be
recovered from the database (``recovery.py``)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from catalog.services.imports import task_record, worker

# A job whose project already runs its share of imports is queued again this much later.
DEFER_SECONDS = 2


@task()
def run_image_import(task_id: str) -> None:
    try:
        worker.run_import(task_id)
    except task_record.ProjectBusy:
        enqueue_later(task_id)


def enqueue_later(task_id: str, seconds: float = DEFER_SECONDS) -> None:
    deferred = run_image_import.using(run_after=timezone.now() + timedelta(seconds=seconds))
    deferred.enqueue(task_id)


def enqueue(task_id: str) -> None:
    run_image_import.enqueue(task_id)


def enqueue_in_transaction(task_id: str) -> None:
    """Queue a task that the current transaction makes pending. The database queue's row is
    written in the same transaction, so a crash cannot commit a pending task without its job
    (which would hold the image's import lock for good); another backend gets the job once the
    transaction has committed (its worker must see the task)."""
    if isinstance(run_image_import.get_backend(), DatabaseBackend):
        enqueue(task_id)
    else:
        transaction.on_commit(lambda: enqueue(task_id))
