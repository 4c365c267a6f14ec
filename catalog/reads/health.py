"""Whether this node can serve: the readiness probes a load balancer asks for
(``GET /healthcheck/ready``, catalog/api/health.py).

Each part the node needs and shares with the others is asked one cheap question, in a thread
of its own with ``CATALOG_READINESS_TIMEOUT`` seconds to answer: the database (``SELECT 1``),
the default store (``Store.ping``) and the task queue (the database queue's ready jobs, or a
Redis ``PING`` and the RQ queues' lengths). A probe that hangs (a store endpoint that accepts
connections and never answers) is reported as timed out; its thread is left to finish on its
own, and the pool's few threads bound how many such probes can pile up.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection

from catalog.data import stores

_POOL = ThreadPoolExecutor(max_workers=6, thread_name_prefix="readiness")


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this pool thread's own connection: not kept open between probes
    return {"vendor": connection.vendor}


def _store() -> dict:
    store = stores.default_store()
    store.ping()
    return {"store": store.id, "kind": store.kind}


def _queue() -> dict:
    backend = settings.TASKS["default"]["BACKEND"]
    if backend.startswith("django_tasks_rq."):
        import django_rq  # the optional `redis` extra, there whenever this backend is set

        django_rq.get_connection("default").ping()
        depth = sum(len(django_rq.get_queue(name)) for name in settings.RQ_QUEUES)
        return {"backend": "redis", "depth": depth}
    from django_tasks_db.models import DBTaskResult

    try:
        depth = DBTaskResult.objects.filter(status="READY").count()
    finally:
        connection.close()
    return {"backend": "database", "depth": depth}


def queue_depth() -> int:
    return _queue()["depth"]


PROBES = {"database": _database, "store": _store, "queue": _queue}


def _timed(probe) -> dict:
    started = time.monotonic()
    facts = probe()
    return {"ok": True, **facts, "seconds": round(time.monotonic() - started, 4)}


def readiness() -> tuple[bool, dict]:
    """(every part answered, each part's answer); never raises."""
    timeout = settings.CATALOG_READINESS_TIMEOUT
    futures = {name: _POOL.submit(_timed, probe) for name, probe in PROBES.items()}
    deadline = time.monotonic() + timeout
    checks = {}
    for name, future in futures.items():
        try:
            checks[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            checks[name] = {"ok": False, "error": f"no answer within {timeout} s"}
        except Exception as exc:  # any failure is "not ready", never a 500
            # The class only: this answer goes to unauthenticated load balancers.
            checks[name] = {"ok": False, "error": type(exc).__name__}
    return all(check["ok"] for check in checks.values()), checks
