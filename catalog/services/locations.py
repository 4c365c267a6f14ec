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

from catalog import policy
from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.data import stores, streams, urlsafety
from catalog.data.fetch import FetchError, shown
from catalog.data.stores.http import is_http_url
from catalog.domain import locations as rules
from catalog.domain import patching
from catalog.exceptions import (
    BadRequest,
    CatalogError,
    Conflict,
    Forbidden,
    RequestEntityTooLarge,
)
from catalog.models import Image, ImageLocation, Lease, Task
from catalog.reads import queries
from catalog.services import events, leases, quotas
from catalog.services import images as image_service
from catalog.services.images import back_to_queued, lock_image_for, transition
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
        before = image.status
        transition(image, ImageStatus.IMPORTING)
        events.task(ctx, "task.create", record)
        events.image(ctx, "image.update", image, changes={"status": [before, image.status]})
        _enqueue_in_transaction(record.pk)
    return record


def _check_status(status: str) -> None:
    if status != ImageStatus.QUEUED:
        raise Conflict(f"It's not allowed to add locations if image status is {status}.")


def list_locations(ctx: RequestContext, image_id: str) -> list[dict]:
    """``GET /v2/images/{id}/locations``: services and admins only (with the URLs that
    carry credentials hidden from services)."""
    image = queries.get_visible_image(ctx, image_id, rule="fetch_image_location")
    rows = image.locations.filter(status=ImageLocation.ACTIVE)
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
        events.image(
            None,
            "image.update",
            fresh,
            changes={"status": [ImageStatus.IMPORTING, ImageStatus.ACTIVE]},
            location=shown(url),
        )
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
                back_to_queued(fresh)
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


# --- The legacy PATCH operations (CATALOG_SHOW_MULTIPLE_LOCATIONS) -------------------------


def patch_image(
    ctx: RequestContext, image_id: str, changes: list[patching.Change], *, v20: bool = False
) -> Image:
    """``PATCH /v2/images/{id}`` with ``/locations`` operations: the other changes through
    the image service, then the location ones, all in one transaction."""
    others = [c for c in changes if c.name != "locations"]
    with transaction.atomic():
        image = image_service.update_image(ctx, image_id, others, v20=v20)
        image = queries.lock_live_image(image.pk)
        moved = [c for c in changes if c.name == "locations"]
        before = image.status
        for change in moved:
            LEGACY_OPS[change.op](ctx, image, change)
        if moved:
            events.image(
                ctx,
                "image.update",
                image,
                changes={"status": [before, image.status]} if before != image.status else {},
                locations=[f"{c.op} {c.path}" for c in moved],
            )
    return image


def _active_locations(image: Image) -> list[ImageLocation]:
    return list(image.locations.filter(status=ImageLocation.ACTIVE))


def _probe(ctx: RequestContext, url: str) -> tuple[stores.Store, int]:
    """The store of a new location URL and the size it reports; 400 ``Invalid location``
    for a URL no store may take: http(s) through the http store (and the web-download
    filter), other schemes only from services and admins, in a configured store."""
    store = stores.store_for_url(url)
    privileged = ctx.is_admin or ctx.has_role("service")
    if store is None or not (is_http_url(url) or privileged):
        raise BadRequest("Invalid location")
    try:
        if is_http_url(url):
            urlsafety.check_url(url)
        size = store.size(url)
    except (urlsafety.UnsafeURL, stores.StoreError):
        raise BadRequest("Invalid location") from None
    if size <= 0:
        raise BadRequest("Invalid location")
    return store, size


def _renumber(locations: list[ImageLocation]) -> None:
    for position, location in enumerate(locations):
        if location.position != position:
            location.position = position
            ImageLocation.objects.filter(pk=location.pk).update(position=position)


def _legacy_add(ctx: RequestContext, image: Image, change: patching.Change) -> None:
    policy.enforce_image(ctx, "set_image_location", image, f"No image found with ID {image.pk}")
    if image.status not in (ImageStatus.QUEUED, ImageStatus.ACTIVE):
        raise Conflict(f"It's not allowed to add locations if image status is {image.status}.")
    (location,) = rules.parse_legacy_value("add", change.value)
    current = _active_locations(image)
    position = rules.insert_position(change.index or "", len(current))
    fields = {}
    if location.validation is not None:
        fields = rules.check_legacy_validation(
            location.validation,
            {n: getattr(image, n) for n in ("checksum", "os_hash_algo", "os_hash_value")},
            queued=image.status == ImageStatus.QUEUED,
            algorithm=settings.CATALOG_HASH_ALGORITHM,
        )
    if any(loc.url == location.url for loc in current):
        raise BadRequest(f"The location {location.url} already exists")
    quota = settings.CATALOG_IMAGE_LOCATION_QUOTA
    if 0 <= quota < len(current) + 1:
        raise RequestEntityTooLarge(
            "The limit has been exceeded on the number of allowed image locations. "
            f"Attempted: {len(current) + 1}, Maximum: {quota}"
        )
    store, size = _probe(ctx, location.url)
    metadata = dict(location.metadata)
    if stores.multiple_backends():
        _check_store_id(metadata, store)
    created = ImageLocation.objects.create(
        image=image, store=store.id, url=location.url, metadata=metadata
    )
    _renumber([*current[:position], created, *current[position:]])
    if image.status == ImageStatus.QUEUED:
        quotas.check_data_write_end(image.owner, image.pk, size, target=quotas.STORE)
        transition(image, ImageStatus.ACTIVE, size=size, **fields)


def _check_store_id(metadata: dict, store: stores.Store) -> None:
    """Multi-store: a ``metadata.store`` naming another store than the URL's is refused
    (Glance silently replaces it: docs/glance-differences.md#location-store-id)."""
    named = metadata.get("store")
    if named is not None and named != store.id:
        raise BadRequest(f"Store {named} does not hold the location's URL (it is {store.id}).")
    metadata["store"] = store.id


def _legacy_replace(ctx: RequestContext, image: Image, change: patching.Change) -> None:
    if change.value == []:
        raise Forbidden("Cannot set locations to empty list.")
    policy.enforce_image(ctx, "set_image_location", image, f"No image found with ID {image.pk}")
    wanted = rules.parse_legacy_value("replace", change.value)
    current = _active_locations(image)
    if not current:
        for index, location in enumerate(wanted):
            value = {"url": location.url, "metadata": location.metadata}
            if location.validation is not None:
                value["validation_data"] = location.validation.as_dict()
            add = patching.Change("add", change.path, "locations", value, str(index))
            _legacy_add(ctx, image, add)
        return
    if [loc.url for loc in current] != [loc.url for loc in wanted]:
        # Glance prints its internal location rows here (ids, status).
        raise BadRequest(
            "Original locations is not empty: only the metadata of the image's locations "
            "may be replaced."
        )
    for row, location in zip(current, wanted, strict=True):
        metadata = dict(location.metadata)
        if stores.multiple_backends():
            _check_store_id(metadata, stores.get_store(row.store) or stores.default_store())
        if row.metadata != metadata:
            ImageLocation.objects.filter(pk=row.pk).update(
                metadata=metadata, updated_at=timezone.now()
            )


def _legacy_remove(ctx: RequestContext, image: Image, change: patching.Change) -> None:
    policy.enforce_image(ctx, "delete_image_location", image, f"No image found with ID {image.pk}")
    if image.status != ImageStatus.ACTIVE:
        raise Conflict(f"It's not allowed to remove locations if image status is {image.status}.")
    current = _active_locations(image)
    position = rules.remove_position(change.index or "", len(current))
    if len(current) == 1:
        raise Forbidden("Cannot remove last location in the image.")
    removed = current.pop(position)
    # The store's copy goes with it: the recovery sweep deletes pending_delete copies.
    ImageLocation.objects.filter(pk=removed.pk).update(
        status=ImageLocation.PENDING_DELETE, updated_at=timezone.now()
    )
    _renumber(current)


LEGACY_OPS = {"add": _legacy_add, "replace": _legacy_replace, "remove": _legacy_remove}
