"""Leases on data writes in flight: the database record that a process still works on an
upload, a stage or an import (``catalog.models.Lease``).

A write takes its lease in the transaction that starts it (the image becomes ``saving``, the
task ``processing``) and gives it up in the transaction that ends it, so a lease row always
means "unfinished". While the write runs, one renewal thread per process pushes the expiry of
every lease the process holds forward, every third of ``CATALOG_LEASE_TIMEOUT``, whatever the
write is doing (streaming, converting, syncing, completing an S3 upload). A process that dies
stops renewing; ``catalog.services.recovery`` then takes the lease over.

A lease whose row disappeared while held was taken over by the recovery sweep (this process
was stalled for longer than the timeout): ``Held.lost`` says so, and the write stops instead
of finishing over the recovered state.
"""

import logging
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from catalog.exceptions import ServiceUnavailable
from catalog.models import Lease

logger = logging.getLogger(__name__)


class LeaseLost(ServiceUnavailable):
    """The write's lease was taken over by the recovery sweep: the write must stop."""

    def __init__(self, message: str = "The write was interrupted (its lease expired)."):
        super().__init__(message)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}/{threading.current_thread().name}"


def expiry(now=None):
    return (now or timezone.now()) + timedelta(seconds=settings.CATALOG_LEASE_TIMEOUT)


def acquire(
    kind: str, image_id: str = "", *, store: str = "", task_id: str = "", holder: str = ""
) -> Lease:
    """Record a new lease (call it in the transaction that starts the write)."""
    now = timezone.now()
    return Lease.objects.create(
        kind=kind,
        image_id=image_id,
        store=store,
        task_id=task_id,
        holder=holder or holder_name(),
        acquired_at=now,
        renewed_at=now,
        expires_at=expiry(now),
    )


def release(lease: Lease) -> bool:
    """Give the lease up (in the transaction that ends the write). False: it was no longer
    there, taken over by the recovery sweep."""
    return Lease.objects.filter(pk=lease.pk).delete()[0] > 0


def claim_expired(pk: int) -> Lease | None:
    """Take an expired lease over (inside a transaction; the recovery sweeps): None when it
    was renewed, released or claimed by another sweeper meanwhile. On PostgreSQL the row is
    locked with SKIP LOCKED (a sweeper never waits for another) and the delete is the claim;
    SQLite runs one writing transaction at a time, so the conditional delete alone is."""
    candidates = Lease.objects.filter(pk=pk, expires_at__lt=timezone.now())
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True)
    lease = candidates.first()
    if lease is None or not Lease.objects.filter(pk=pk).delete()[0]:
        return None
    return lease


def release_task(task_id: str) -> None:
    Lease.objects.filter(task_id=task_id).delete()


class Held:
    """A lease this process renews until ``stop``."""

    def __init__(self, lease: Lease):
        self.lease = lease
        self.lost = threading.Event()

    def check(self) -> None:
        if self.lost.is_set():
            raise LeaseLost()

    def guard(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Pass chunks through, stopping once the lease is lost."""
        for chunk in chunks:
            self.check()
            yield chunk

    def stop(self) -> None:
        _renewer.forget(self)

    def __enter__(self) -> "Held":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def hold(lease: Lease) -> Held:
    """Renew ``lease`` from now on, until the returned handle stops (a context manager)."""
    held = Held(lease)
    _renewer.add(held)
    return held


class _Renewer:
    """One daemon thread per process that renews every lease the process holds, in one
    UPDATE per round. Started on first use, and again after a fork (gunicorn's workers)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.held: dict[int, Held] = {}
        self.wake = threading.Event()
        self.pid = None

    def add(self, held: Held) -> None:
        with self.lock:
            self.held[held.lease.pk] = held
            if self.pid != os.getpid():
                self.pid = os.getpid()
                threading.Thread(target=self._run, name="lease-renewer", daemon=True).start()

    def forget(self, held: Held) -> None:
        with self.lock:
            self.held.pop(held.lease.pk, None)

    def _run(self) -> None:
        while True:
            self.wake.wait(max(settings.CATALOG_LEASE_TIMEOUT / 3, 0.5))
            try:
                self.renew()
            except Exception:
                logger.exception("Could not renew the leases of this process")
            finally:
                close_old_connections()
                connection.close()

    def renew(self) -> None:
        with self.lock:
            held = dict(self.held)
        if not held:
            return
        now = timezone.now()
        Lease.objects.filter(pk__in=list(held)).update(renewed_at=now, expires_at=expiry(now))
        alive = set(Lease.objects.filter(pk__in=list(held)).values_list("pk", flat=True))
        for pk, handle in held.items():
            if pk not in alive:
                logger.warning("Lease %s was taken over by the recovery sweep", handle.lease)
                handle.lost.set()


_renewer = _Renewer()


def renew_now() -> None:
    """Renew this process's leases at once (tests; a long step about to start)."""
    _renewer.renew()
