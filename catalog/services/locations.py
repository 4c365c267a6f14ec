"""Image locations: the new API (``POST``/``GET /v2/images/{id}/locations``) and its
background half, the ``location_import`` task that reads the data once and activates the
image.

The request checks and queues; the worker (``run_location_import``, registered in
``catalog.worker.jobs``) claims the task with its lease (``catalog.services.leases``), asks
the URL's store for the size, reads the data once for md5 and the secure hash (with
``CATALOG_LOCATIONS_SECURE_HASH``), compares them with the validation data, and records the
location and the active status in one transaction. The location is attached only then: a
failure leaves nothing attached and the image ``queued`` as before, and a retry with the
same URL works (docs/glance-differences.md#location-hash-failure). A worker that dies leaves
its lease to expire; the recovery sweep then requeues or fails the task
(``recover_location_import``).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.data import stores, streams, urlsafety
from catalog.data.fetch import FetchError, shown
from catalog.data.stores.http import is_http_url
from catalog.domain import locations as rules
from catalog.exceptions import BadRequest, CatalogError, Conflict, Forbidden
from catalog.models import Image, ImageLocation, Lease, Task
from catalog.reads import queries
from catalog.services import leases, quotas
from catalog.services.images import lock_image_for, transition
from catalog.services.imports import lock, task_record
from catalog.services.imports.task_record import ImportFailed, ProjectBusy

logger = logging.getLogger(__name__)
DEFER_SECONDS = 2
INTERRUPTED = "The location import was interrupted and could not be resumed."


# --- The request -------------------------------------------------------------------------


def add_location(ctx: RequestContext, image_id: str, body) -> Task:
    """``POST /v2/images/{id}/locations``: check in Glance's order (the policy before the
    status: docs/glance-differences.md#location-api-input), then lock the image, record a
    ``location_import`` task and queue it (202)."""
    url, data = rules.parse_new_location(body)
    not_found = f"No image found with ID {image_id}"
    image = queries.get_visible_image(ctx, image_id, not_found, rule="add_image_location")
    _check_status(image.status)
    if not ctx.has_role("service") and not (is_http_url(url) and stores.http_store_enabled()):
        raise Forbidden("http store must be enabled to use location API by normal user.")
    if data is not None:
        rules.check_hash_value(data)
    if is_http_url(url):
        # DNS work, before any row is locked.
        try:
            urlsafety.check_url(url)
        except urlsafety.UnsafeURL:
            raise BadRequest(f"URI for add location does not pass filtering: {url}") from None
    with transaction.atomic():
        image = lock_image_for(ctx, image_id, "add_image_location", not_found=not_found)
        _check_status(image.status)
        props = lock.read_props(image)
        holder = props.get(lock.LOCK_PROPERTY)
        if holder and Task.objects.filter(pk=holder, status__in=["pending", "processing"]):
            raise Conflict(
                f"New operation on image '{image.pk}' is not permitted as prior operation "
                "is still in progress"
            )
        record = Task.objects.create(
            type=rules.LOCATION_IMPORT,
            owner=ctx.project_id,
            image_id=image.pk,
            request_id=ctx.request_id,
            user_id=ctx.user_id or "",
            input={
                "image_id": image.pk,
                "loc_url": url,
                "validation_data": data.as_dict() if data else {},
            },
        )
        lock.set_props(image, **{lock.LOCK_PROPERTY: record.pk})
        transition(image, ImageStatus.IMPORTING)
        _enqueue_in_transaction(record.pk)
    return record


def _check_status(status: str) -> None:
    if status != ImageStatus.QUEUED:
        raise Conflict(f"It's not allowed to add locations if image status is {status}.")


def list_locations(ctx: RequestContext, image_id: str) -> list[dict]:
    """``GET /v2/images/{id}/locations``: services and admins only (with the URLs that
    carry credentials hidden from services)."""
    image = queries.get_visible_image(ctx, image_id, rule="fetch_image_location")
    rows = image.locations.filter(status=ImageLocation.ACTIVE).order_by("id")
    pairs = rules.shown_locations([(r.url, r.metadata) for r in rows], is_admin=ctx.is_admin)
    return [{"url": url, "metadata": metadata} for url, metadata in pairs]


# --- The queued job ----------------------------------------------------------------------


@task()
def run_location_import(task_id: str) -> None:
    try:
        hash_and_attach(task_id)
    except ProjectBusy:
        later = run_location_import.using(
            run_after=timezone.now() + timedelta(seconds=DEFER_SECONDS)
        )
        later.enqueue(task_id)


def _enqueue_in_transaction(task_id: str) -> None:
    """As the import queue: the database queue's row commits with the task."""
    if isinstance(run_location_import.get_backend(), DatabaseBackend):
        run_location_import.enqueue(task_id)
    else:
        transaction.on_commit(lambda: run_location_import.enqueue(task_id))


def hash_and_attach(task_id: str) -> None:
    """The worker's entry point: carry out one ``location_import`` task."""
    claimed = task_record.claim(task_id)
    if claimed is None:
        return
    record, lease = claimed
    with leases.hold(lease) as held:
        image = Image.objects.filter(pk=record.image_id, deleted=False).first()
        try:
            if image is None:
                raise ImportFailed("The image was deleted before its location was added.")
            store, fields = _measure(record, held)
            _attach(record, image, store, fields, lease)
        except (ImportFailed, CatalogError, FetchError, stores.StoreError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            logger.warning("Location import %s failed: %s", record.pk, message)
            fail(record, image, message, lease=lease)
        except Exception as exc:
            logger.exception("Location import %s crashed", record.pk)
            fail(record, image, f"Internal error: {type(exc).__name__}", lease=lease)


def _measure(record: Task, held: leases.Held) -> tuple[stores.Store, dict]:
    """The URL's store, and what the image records of the data: size, and the hashes read
    (secure hashing) or given (without it, unverified, as Glance)."""
    url = record.input["loc_url"]
    data = record.input.get("validation_data") or {}
    store = stores.store_for_url(url)
    if store is None:
        raise ImportFailed(f"Invalid location {shown(url)}: no configured store serves it.")
    if is_http_url(url):
        urlsafety.check_url(url)
    size = store.size(url)
    if size <= 0:
        raise ImportFailed(f"Invalid location {shown(url)}: its store reports no data.")
    fields = {"size": size}
    if not settings.CATALOG_LOCATIONS_SECURE_HASH:
        if data:
            fields.update(os_hash_algo=data["os_hash_algo"], os_hash_value=data["os_hash_value"])
        return store, fields
    algorithm = data.get("os_hash_algo") or settings.CATALOG_HASH_ALGORITHM
    digests = streams.Digests(algorithm, parallel=False)
    count = 0
    reader = store.open(url)
    try:
        for chunk in task_record.heartbeat(record, held.guard(reader), "Hashed"):
            count += len(chunk)
            digests.update(chunk)
    finally:
        reader.close()
    checksum, value = digests.finish()
    if count != size:
        raise ImportFailed(f"{shown(url)} sent {count} bytes, but reported {size}.")
    if data and value != data["os_hash_value"].lower():
        raise ImportFailed(
            f"The data at {shown(url)} does not match the validation data: its "
            f"{algorithm} is {value}, not {data['os_hash_value']}."
        )
    fields.update(checksum=checksum, os_hash_algo=algorithm, os_hash_value=value)
    return store, fields


def _attach(record: Task, image: Image, store: stores.Store, fields: dict, lease: Lease) -> None:
    url = record.input["loc_url"]
    with transaction.atomic():
        if not leases.release(lease):
            raise ImportFailed("The location import was taken over by the recovery sweep.")
        fresh = queries.lock_live_image(image.pk)
        if fresh is None or fresh.status != ImageStatus.IMPORTING:
            raise ImportFailed("The image changed while its location was being added.")
        if fresh.locations.filter(url=url).exists():
            raise ImportFailed(f"The location {shown(url)} already exists.")
        quotas.check_data_write_end(fresh.owner, fresh.pk, fields["size"], target=quotas.STORE)
        metadata = {"store": store.id} if stores.multiple_backends() else {}
        ImageLocation.objects.create(image=fresh, store=store.id, url=url, metadata=metadata)
        transition(fresh, ImageStatus.ACTIVE, **fields)
        lock.set_props(fresh, **{lock.LOCK_PROPERTY: None})
        task_record.finish(record, Task.Status.SUCCESS, "", result={"image_id": fresh.pk})


def fail(record: Task, image: Image | None, message: str, *, lease: Lease | None = None) -> None:
    """The task fails with its reason; the image goes back to ``queued`` (size and hashes
    cleared), with no location attached and its lock released."""
    with transaction.atomic():
        if lease is not None and not leases.release(lease):
            logger.warning("Location import %s was taken over by the recovery sweep", record.pk)
            return
        fresh = queries.lock_live_image(image.pk) if image is not None else None
        if fresh is not None:
            if fresh.status == ImageStatus.IMPORTING:
                transition(fresh, ImageStatus.QUEUED)
            if lock.read_props(fresh).get(lock.LOCK_PROPERTY) == record.pk:
                lock.set_props(fresh, **{lock.LOCK_PROPERTY: None})
        task_record.finish(record, Task.Status.FAILURE, message)


def recover_location_import(task_id: str) -> str | None:
    """A dead worker's location import (its lease claimed by the recovery sweep, inside its
    transaction): queued again while it has attempts left (nothing was written), else
    failed."""
    record = Task.objects.select_for_update().filter(pk=task_id).first()
    if record is None or record.status != Task.Status.PROCESSING:
        return None
    if record.attempts < settings.CATALOG_IMPORT_MAX_ATTEMPTS:
        record.status = Task.Status.PENDING
        record.updated_at = timezone.now()
        record.message = f"Restarted after its worker stopped (attempt {record.attempts})."
        record.save(update_fields=["status", "updated_at", "message"])
        _enqueue_in_transaction(record.pk)
        return "requeued"
    fail(record, Image.objects.filter(pk=record.image_id, deleted=False).first(), INTERRUPTED)
    return "failed"
