"""Background jobs, run by the worker (``manage.py run_worker``) through Django's tasks API
(the django-tasks backport). A job carries only ids: the durable record is the catalog's own
``Task`` row, so a lost queue entry or a dead worker can be recovered from the database."""

from django_tasks import task

from catalog.services import imports


@task()
def run_image_import(task_id: str) -> None:
    imports.run_import(task_id)
