"""The import's background job (Django's tasks API, the django-tasks backport). A job carries
only the ``Task`` row's id: that row is the durable record, so a lost queue entry or a dead
worker can be recovered from the database (``recovery.py``)."""

from django_tasks import task

from catalog.services.imports import worker


@task()
def run_image_import(task_id: str) -> None:
    worker.run_import(task_id)


def enqueue(task_id: str) -> None:
    run_image_import.enqueue(task_id)
