"""The worker's machinery: ``CATALOG_WORKER_CONCURRENCY`` threads claiming jobs from the
database queue, a thread running the periodic jobs, and a graceful stop.

Claims: a job is taken in one short transaction. On PostgreSQL the ready rows are read with
``FOR UPDATE SKIP LOCKED``, so that workers never wait for each other and never take the same
row; SQLite has one writer at a time (the transaction is ``EXCLUSIVE``, as django-tasks' own
worker does), so the read-then-claim cannot interleave with another worker's. Among the ready
jobs, the first whose project is under its limit (``jobs.QUEUED``) is taken: one project's
backlog cannot occupy every thread.

Stopping: SIGTERM or SIGINT stops the claims; running jobs get
``CATALOG_WORKER_SHUTDOWN_GRACE`` seconds to finish, then are handed back to the queue (not
failed) and the process exits. A second signal exits at once (the leases expire and the
recovery sweep hands the jobs back instead).
"""

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import OperationalError
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from catalog.models import Lease
from catalog.reads import metrics
from catalog.services import leases
from catalog.worker import handover, jobs

logger = logging.getLogger(__name__)
SCAN = 50  # ready jobs looked at per claim


@dataclass
class Running:
    job: DBTaskResult
    project: str | None
    kind: jobs.QueuedKind | None
    done: threading.Event = field(default_factory=threading.Event)


class Runtime:
    def __init__(self, *, concurrency: int, interval: float, backend: str = "default"):
        self.concurrency = concurrency
        self.interval = interval
        self.backend = backend
        # Unique per process run: the queue's rows record it, the worker lease names it.
        self.worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.running: dict[str, Running] = {}
        self.signals = 0

    # --- Claims --------------------------------------------------------------------------

    def _ready(self):
        ready = DBTaskResult.objects.ready().filter(backend_name=self.backend)
        if connection.features.has_select_for_update_skip_locked:
            ready = ready.select_for_update(skip_locked=True)
        return ready

    def _eligible(self, job: DBTaskResult, starting: Counter) -> tuple[bool, str | None]:
        kind = jobs.QUEUED.get(job.task_path)
        if kind is None:
            return True, None
        project = kind.project_of(*job.args_kwargs.get("args", []))
        if project is None:
            return True, None
        busy = kind.running_for(project) + starting[project]
        return busy < kind.limit(), project

    def claim(self) -> Running | None:
        """Take the first ready job whose project is under its limit (None: nothing to do)."""
        with self.lock:
            local = [r for r in self.running.values() if r.project and not r.done.is_set()]
        # Claimed here but not yet running in the catalog's records (an import's Task becomes
        # processing a moment later, in the job): counted beside those running anywhere.
        starting = Counter(
            r.project for r in local if not r.kind.started(*r.job.args_kwargs.get("args", []))
        )
        try:
            with exclusive_transaction(DBTaskResult.objects.db):
                for job in self._ready()[:SCAN]:
                    allowed, project = self._eligible(job, starting)
                    if allowed:
                        job.claim(self.worker_id)
                        running = Running(job, project, jobs.QUEUED.get(job.task_path))
                        with self.lock:
                            self.running[str(job.pk)] = running
                        return running
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
        return None

    # --- Running -------------------------------------------------------------------------

    def execute(self, running: Running) -> None:
        job = running.job
        try:
            task = job.task
            result = job.task_result
            job.set_successful(task.call(*result.args, **result.kwargs))
        except BaseException as exc:
            logger.exception("Job %s failed", job.pk)
            job.set_failed(exc)
        finally:
            running.done.set()
            with self.lock:
                self.running.pop(str(job.pk), None)

    def _slot(self) -> None:
        while not self.stopping.is_set():
            close_old_connections()
            try:
                running = self.claim()
            except Exception:
                # The database restarting, say: keep the thread, try again after a pause.
                logger.exception("Could not claim a job")
                running = None
            if running is None:
                self.stopping.wait(self.interval)
                continue
            self.execute(running)
        connection.close()

    def _periodic(self) -> None:
        due = dict.fromkeys((job.name for job in jobs.PERIODIC), 0.0)
        while not self.stopping.is_set():
            now = time.monotonic()
            for job in jobs.PERIODIC:
                if now >= due[job.name]:
                    run_periodic(job)
                    due[job.name] = time.monotonic() + job.interval()
            close_old_connections()
            self.stopping.wait(min(due.values()) - time.monotonic())
        connection.close()

    # --- Whole runs ----------------------------------------------------------------------

    def run_batch(self) -> None:
        """Everything due, once, in this thread: the periodic jobs, then the queue until it
        is empty (tests, and `run_worker --batch`)."""
        for job in jobs.PERIODIC:
            run_periodic(job)
        while self.concurrency and (running := self.claim()) is not None:
            self.execute(running)

    def start_periodic(self) -> threading.Thread:
        """The periodic jobs alone, in a thread (beside another queue's worker)."""
        thread = threading.Thread(target=self._periodic, name="periodic", daemon=True)
        thread.start()
        return thread

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.lease = leases.acquire(Lease.WORKER, holder=self.worker_id)
        leases.hold(self.lease)
        threads = [threading.Thread(target=self._periodic, name="periodic", daemon=True)]
        threads += [
            threading.Thread(target=self._slot, name=f"slot-{n}", daemon=True)
            for n in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        logger.info("Worker %s: %d threads", self.worker_id, self.concurrency)
        while not self.stopping.is_set():
            self.stopping.wait(1.0)
        self._shut_down()

    def _on_signal(self, signum, frame) -> None:
        self.signals += 1
        if self.signals > 1:
            logger.warning("Second %s: exiting now", signal.strsignal(signum))
            os._exit(1)
        logger.warning("%s: finishing running jobs, taking no new ones", signal.strsignal(signum))
        self.stopping.set()

    def _shut_down(self) -> None:
        deadline = time.monotonic() + settings.CATALOG_WORKER_SHUTDOWN_GRACE
        while time.monotonic() < deadline:
            with self.lock:
                left = list(self.running.values())
            if not left:
                break
            left[0].done.wait(max(0.0, deadline - time.monotonic()))
        with self.lock:
            left = list(self.running.values())
        for running in left:
            hand_back(running)
        leases.release(self.lease)
        if left:
            # The jobs' threads are still inside their work: leave without waiting for them.
            os._exit(0)


def hand_back(running: Running) -> None:
    """A job still running at the end of the grace: its record made ready to run again (an
    import's task pending), then its queue entry put back, for the next worker."""
    job = running.job
    if running.kind is not None:
        running.kind.hand_back(*job.args_kwargs.get("args", []))
    handover.put_back([job.pk])
    logger.warning("Job %s handed back to the queue", job.pk)


def run_periodic(job: jobs.PeriodicJob) -> None:
    try:
        outcome = job.run()
    except Exception:
        logger.exception("Periodic job %s failed", job.name)
        return
    if isinstance(outcome, dict):  # counts by kind: a sweep that found nothing says nothing
        outcome = {kind: count for kind, count in outcome.items() if count}
        if job.name == "recovery":
            metrics.count_recoveries(outcome)
    if outcome:
        logger.info("Periodic job %s: %s", job.name, outcome)
