"""The recovery sweep: data writes whose process died are put back where a retry can use
them.

Every upload, stage and import holds a lease (``catalog.services.leases``). A lease that has
expired belongs to a dead process. The sweep claims it by deleting its row, in a transaction
that also repairs what the write left:

- an upload: the image goes back to ``queued`` (which releases its quota reservations: the
  quotas count images by status) and whatever the writer left in its store is removed;
- a stage: the same, with the staging area's leftovers;
- an import: the task is queued again while it has attempts left, failed otherwise with
  the image back to ``queued`` and its import lock cleared (``imports.recover_import``).

Deletes whose process died between the commit and the store call leave their copies
``pending_delete``: the sweep removes those older than a lease timeout (what
``manage.py scrub_images`` does too).

Writes that hold no lease at all (left by a version before leases: an image in ``saving``,
a task ``processing``) are dead too: every write takes its lease in the transaction that
starts it, so none can be seen without one. The sweep gives each an expired lease, which the
same pass then recovers.

Safe with several workers and API nodes sweeping at once (``leases.claim_expired``): on
PostgreSQL each expired lease is locked with ``SKIP LOCKED`` (a sweeper never waits for
another) and the delete is the claim; SQLite runs every transaction ``IMMEDIATE`` (one writer
at a time, config/settings.py), so the conditional delete alone is the claim. Exactly one
sweeper repairs a given write.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.choices import ImageStatus
from catalog.data import staging, stores
from catalog.domain.locations import LOCATION_IMPORT
from catalog.models import Image, ImageLocation, Lease, Task
from catalog.reads import queries
from catalog.services import blobs, leases
from catalog.services.images import back_to_queued
from catalog.services.imports import recover_import
from catalog.services.locations import recover_location_import

logger = logging.getLogger(__name__)
BATCH = 100


def sweep() -> Counter:
    """One pass: repair every write whose lease has expired, finish dead deletes, and drop
    finished tasks past their time to live. Returns what was done, by kind ("upload",
    "stage", "requeued", "failed", "deleted blobs")."""
    counts: Counter = Counter()
    # Finished tasks live for CATALOG_TASK_TIME_TO_LIVE hours (Glance's task_time_to_live).
    Task.objects.filter(expires_at__lt=timezone.now()).delete()
    _lease_leaseless_writes()
    counts["deleted blobs"] = _finish_deletes()
    expired = Lease.objects.filter(kind__in=Lease.WRITES, expires_at__lt=timezone.now())
    expired = expired.values_list("pk", flat=True)
    for pk in list(expired[:BATCH]):
        try:
            outcome = _recover(pk)
        except Exception:
            logger.exception("Could not recover the write of lease %s", pk)
            continue
        if outcome:
            counts[outcome] += 1
    return counts


def _finish_deletes() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.CATALOG_LEASE_TIMEOUT)
    pending = ImageLocation.objects.filter(
        status=ImageLocation.PENDING_DELETE, updated_at__lt=cutoff
    )
    removed, _ = blobs.remove_pending(list(pending[:BATCH]))
    return removed


def _lease_leaseless_writes() -> None:
    past = timezone.now() - timedelta(seconds=1)
    with transaction.atomic():
        uploads = (
            Image.objects.filter(status=ImageStatus.SAVING, deleted=False)
            .exclude(pk__in=Lease.objects.filter(kind=Lease.UPLOAD).values("image_id"))
            .values_list("pk", flat=True)
        )
        for image_id in uploads:
            store = stores.default_store()
            Lease.objects.create(
                kind=Lease.UPLOAD, image_id=image_id, store=store.id, holder="", expires_at=past
            )
        tasks = (
            Task.objects.filter(status=Task.Status.PROCESSING)
            .exclude(pk__in=Lease.objects.filter(kind=Lease.IMPORT).values("task_id"))
            .values_list("pk", "image_id")
        )
        for task_id, image_id in tasks:
            Lease.objects.create(
                kind=Lease.IMPORT,
                image_id=image_id or "",
                task_id=task_id,
                holder="",
                expires_at=past,
            )


def _recover(pk: int) -> str | None:
    with transaction.atomic():
        lease = leases.claim_expired(pk)
        if lease is None:
            return None
        if lease.kind == Lease.IMPORT:
            kind = Task.objects.filter(pk=lease.task_id).values_list("type", flat=True).first()
            recover = recover_location_import if kind == LOCATION_IMPORT else recover_import
            outcome = recover(lease.task_id)
        else:
            outcome = _recover_write(lease)
    if outcome:
        logger.warning("Recovered a dead %s of image %s (%s)", lease.kind, lease.image_id, outcome)
    return outcome


def _recover_write(lease: Lease) -> str | None:
    """An upload or stage whose process died: its leftovers removed, its image queued."""
    status = ImageStatus.SAVING if lease.kind == Lease.UPLOAD else ImageStatus.UPLOADING
    image = queries.lock_live_image(lease.image_id)
    if lease.kind == Lease.STAGE:
        staging.discard(lease.image_id)
    else:
        store = stores.get_store(lease.store)
        if store is not None and (image is None or not image.locations.exists()):
            store.discard_unfinished(lease.image_id)
    if image is None or image.status != status:
        return None
    back_to_queued(image)
    return lease.kind
