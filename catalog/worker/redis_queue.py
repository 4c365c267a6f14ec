"""The worker on the Redis queue (``CATALOG_TASKS_BACKEND=django_tasks_rq.RQBackend``).

django-tasks' RQ backend puts jobs in RQ queues (``RQ_QUEUES``, from ``CATALOG_REDIS_URL``);
an RQ worker takes them. ``run_worker`` runs one here, in its main thread, beside the same
periodic jobs as on the database queue (the recovery sweep), so that a supervisor has one
command whatever the backend.

The RQ worker is ``SimpleWorker``: it runs each job in its own process instead of forking a
child per job, as the database queue's runtime does. A killed worker therefore takes its
running import with it, and the recovery sweep of any other worker (the import's lease
expires) queues it again; a forked child would outlive a killed parent and keep writing with
nobody renewing its lease. One job at a time per process: run several ``run_worker`` for more.

The per-project limit holds in the job itself (``queue.run_image_import`` defers a job whose
project is busy with a scheduled job): the worker runs RQ's scheduler for those.
"""

from django.db import close_old_connections
from django_tasks import task_backends

from catalog.worker.runtime import Runtime

# django_rq, django_tasks_rq and rq come with the optional `redis` extra: imported where they
# are used, so that this module loads without them.


def queue_names() -> list[str]:
    return sorted(task_backends["default"].queues)


def run(runtime: Runtime, *, batch: bool) -> None:
    """Take jobs from the Redis queues until stopped (SIGTERM: RQ's warm shutdown, the
    running job finishes), or, with ``batch``, until they are empty."""
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.worker import SimpleWorker

    close_old_connections()  # RQ's loop holds no database connection of this thread
    worker = django_rq.get_worker(*queue_names(), job_class=Job, worker_class=SimpleWorker)
    if batch:
        runtime.run_batch()
        # Scheduled jobs that are due go to their queue first (burst mode does not wait).
        worker.work(burst=True, with_scheduler=True)
        return
    periodic = runtime.start_periodic()
    try:
        worker.work(with_scheduler=True)
    finally:
        runtime.stopping.set()
        periodic.join(timeout=5)


def queue_depth() -> int:
    """Jobs waiting in the Redis queues (readiness and metrics)."""
    import django_rq

    return sum(len(django_rq.get_queue(name)) for name in queue_names())
