"""Jobs that leave a worker unfinished go back to the queue.

Each running ``run_worker`` holds a ``worker`` lease named by its worker id (the id the
queue's rows record when a job is claimed). When a worker dies, its lease expires, and the
periodic job here, run by every other worker, puts the jobs it had claimed back to ``READY``:
a job claimed just before a kill (an import whose task was not yet marked processing, say)
is not lost. A job's own work is idempotent about this: an import runs only for a pending
task, so a job put back after its task was already requeued by the recovery sweep runs at
most once more, and does nothing if another run took the task.
"""

from django.db import transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from catalog.models import Lease
from catalog.services import leases


def put_back(job_ids: list) -> int:
    """Claimed jobs back to ready (a graceful stop, a dead worker's)."""
    return DBTaskResult.objects.filter(pk__in=job_ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )


def requeue_jobs_of_dead_workers() -> int:
    """Put back the running jobs of every worker whose lease expired; returns how many."""
    count = 0
    expired = Lease.objects.filter(kind=Lease.WORKER, expires_at__lt=timezone.now())
    for pk in list(expired.values_list("pk", flat=True)):
        with transaction.atomic():
            lease = leases.claim_expired(pk)
            if lease is None:
                continue
            running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
            # The last id a job records is the worker that claimed it last.
            jobs = [
                job.pk
                for job in running.only("pk", "worker_ids")
                if job.worker_ids[-1:] == [lease.holder]
            ]
            count += put_back(jobs)
    return count
