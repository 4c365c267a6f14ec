"""The runtime's claims: imports of one project never take more than
CATALOG_IMPORT_PER_PROJECT threads, however long its backlog, another project's job is taken
past it; and the jobs a dead worker had claimed go back to the queue. In-process."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from catalog.models import Lease, Task
from catalog.services import leases
from catalog.services.imports import queue
from catalog.worker import handover
from catalog.worker.runtime import Runtime
from tests.conftest import assert_status

from .test_import_api import import_, raw, stage

pytestmark = pytest.mark.django_db(transaction=True)


def queue_imports(persona, count):
    for _ in range(count):
        image = raw(persona)
        assert_status(stage(persona, image["id"], b"\x5a" * 512), 204)
        assert_status(import_(persona, image["id"], {"method": {"name": "glance-direct"}}), 202)


def owner_of(running):
    return Task.objects.get(pk=running.job.args_kwargs["args"][0]).owner


def test_one_project_cannot_occupy_every_thread(alice, bob, settings, staging_dir):
    settings.CATALOG_IMPORT_PER_PROJECT = 2
    queue_imports(alice, 4)  # alice's backlog comes first in the queue
    queue_imports(bob, 1)
    runtime = Runtime(concurrency=4, interval=0.1)
    claimed = [runtime.claim() for _ in range(4)]
    owners = [owner_of(r) if r else None for r in claimed]
    assert owners == [alice.project_id, alice.project_id, bob.project_id, None]
    # One of alice's finishes: the next of hers may start.
    claimed[0].done.set()
    runtime.running.pop(str(claimed[0].job.pk))
    assert owner_of(runtime.claim()) == alice.project_id


def test_imports_running_on_other_workers_count_too(alice, settings, staging_dir):
    settings.CATALOG_IMPORT_PER_PROJECT = 1
    queue_imports(alice, 2)
    Task.objects.filter(pk=Task.objects.order_by("created_at").first().pk).update(
        status=Task.Status.PROCESSING
    )  # as another worker's claim leaves it
    assert Runtime(concurrency=4, interval=0.1).claim() is None


def test_a_running_import_of_this_worker_counts_once(alice, settings, staging_dir):
    settings.CATALOG_IMPORT_PER_PROJECT = 2
    queue_imports(alice, 3)
    runtime = Runtime(concurrency=4, interval=0.1)
    first = runtime.claim()
    # Its job has started: the task is processing (counted by the records, not twice).
    Task.objects.filter(pk=first.job.args_kwargs["args"][0]).update(status=Task.Status.PROCESSING)
    assert runtime.claim() is not None
    assert runtime.claim() is None


def test_jobs_claimed_by_a_dead_worker_go_back_to_the_queue(alice, staging_dir):
    queue_imports(alice, 1)
    dead = Runtime(concurrency=1, interval=0.1)
    claimed = dead.claim()  # ...and the process is killed before its task is processing
    leases.acquire(Lease.WORKER, holder=dead.worker_id)
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    live = Runtime(concurrency=1, interval=0.1)
    assert live.claim() is None
    assert handover.requeue_jobs_of_dead_workers() == 1
    assert handover.requeue_jobs_of_dead_workers() == 0  # once
    again = live.claim()
    assert again.job.pk == claimed.job.pk
    live.execute(again)
    task = Task.objects.get(pk=again.job.args_kwargs["args"][0])
    assert task.status == "success", task.message


def test_the_limit_holds_in_the_job_too_whatever_queue_delivered_it(alice, settings, staging_dir):
    settings.CATALOG_IMPORT_PER_PROJECT = 1
    queue_imports(alice, 2)
    first, second = Task.objects.order_by("created_at")
    Task.objects.filter(pk=first.pk).update(status=Task.Status.PROCESSING)  # another worker's
    queue.run_image_import.call(second.pk)  # as a queue that ignores the limit would run it
    second.refresh_from_db()
    assert second.status == "pending"  # not taken...
    later = DBTaskResult.objects.filter(args_kwargs__args=[second.pk], run_after__gt=timezone.now())
    assert later.exists()  # ...queued again, a little later
