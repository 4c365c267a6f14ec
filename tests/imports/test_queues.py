"""The same import, fairness and recovery paths on both task queues: the database queue
(the embedded default) and Redis through django-tasks' RQ backend, each run by
`manage.py run_worker` (which runs RQ's worker for the Redis backend). In-process.

The Redis runs use database 12 of the machine's Redis (CATALOG_TEST_REDIS_URL overrides it)
and empty its queue before and after each test."""

import os
import time

import pytest
from django.core.management import call_command

from catalog.models import Image, Task
from catalog.services.imports import queue, task_record
from tests.conftest import assert_status
from tests.test_recovery import expire_leases, recover

from .test_import_api import import_, raw, stage

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("CATALOG_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
RQ_BACKEND = "django_tasks_rq.RQBackend"


def _redis_skip_reason() -> str | None:
    try:
        import django_rq  # noqa: F401
        import redis
    except ImportError:
        return "the redis extra (django-tasks-rq) is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"no Redis at {REDIS_URL}: {exc}"
    return None


def _empty_redis_queue():
    import django_rq
    from rq.registry import ScheduledJobRegistry

    rq_queue = django_rq.get_queue("default")
    rq_queue.empty()
    scheduled = ScheduledJobRegistry(queue=rq_queue)
    for job_id in scheduled.get_job_ids():
        scheduled.remove(job_id, delete_job=True)


@pytest.fixture(params=["database", "redis"])
def task_queue(request, settings):
    """The task backend of the test: the database queue, or the Redis (RQ) queue."""
    if request.param == "redis":
        reason = _redis_skip_reason()
        if reason:
            pytest.skip(reason)
        settings.TASKS = {"default": {"BACKEND": RQ_BACKEND}}
        settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1}}
        _empty_redis_queue()
        yield request.param
        _empty_redis_queue()
    else:
        yield request.param


def run_worker():
    call_command("run_worker", batch=True, verbosity=0)


def queued_jobs(task_queue) -> int:
    if task_queue == "redis":
        import django_rq
        from rq.registry import ScheduledJobRegistry

        rq_queue = django_rq.get_queue("default")
        return len(rq_queue) + len(ScheduledJobRegistry(queue=rq_queue))
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY").count()  # due now or later


def test_an_import_is_done_by_the_worker(task_queue, alice, staging_dir):
    image = raw(alice)
    assert_status(stage(alice, image["id"], b"\x5a" * 4096), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    assert queued_jobs(task_queue) == 1  # queued in this backend, not run inline
    run_worker()
    task = Task.objects.get(image_id=image["id"])
    assert task.status == "success", task.message
    assert Image.objects.get(pk=image["id"]).status == "active"
    assert queued_jobs(task_queue) == 0
    shown = alice.get(f"/v2/images/{image['id']}/file")
    assert b"".join(shown.streaming_content) == b"\x5a" * 4096


def test_a_busy_projects_job_waits_and_then_runs(task_queue, alice, settings, staging_dir):
    settings.CATALOG_IMPORT_PER_PROJECT = 1
    images = [raw(alice) for _ in range(2)]
    for image in images:
        assert_status(stage(alice, image["id"], b"\x5a" * 512), 204)
    assert_status(import_(alice, images[0]["id"], {"method": {"name": "glance-direct"}}), 202)
    first = Task.objects.get(image_id=images[0]["id"])
    assert task_record.claim(first.pk) is not None  # another worker is running it
    assert_status(import_(alice, images[1]["id"], {"method": {"name": "glance-direct"}}), 202)
    second = Task.objects.get(image_id=images[1]["id"])
    run_worker()  # the queue delivers the second job: the project is at its limit
    second.refresh_from_db()
    assert second.status == "pending"
    assert queued_jobs(task_queue) >= 1  # deferred, not dropped
    Task.objects.filter(pk=first.pk).update(status=Task.Status.SUCCESS)  # the other finished
    time.sleep(queue.DEFER_SECONDS + 0.5)
    run_worker()
    second.refresh_from_db()
    assert second.status == "success", second.message


def test_a_dead_workers_import_is_recovered_and_run_again(task_queue, alice, staging_dir):
    image = raw(alice)
    assert_status(stage(alice, image["id"], b"\x5a" * 512), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    task = Task.objects.get(image_id=image["id"])
    assert task_record.claim(task.pk) is not None  # a worker took it and was killed
    _drop_queued_jobs(task_queue)  # its job was consumed by the dead worker
    expire_leases()
    assert "1 requeued" in recover()
    assert queued_jobs(task_queue) == 1
    run_worker()
    task.refresh_from_db()
    assert task.status == "success", task.message
    assert Image.objects.get(pk=image["id"]).status == "active"


def _drop_queued_jobs(task_queue):
    if task_queue == "redis":
        _empty_redis_queue()
    else:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()
