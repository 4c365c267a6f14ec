"""Interoperable image import (``POST /v2/images/{id}/import``).

Two halves. ``start_import`` runs in the API request: it validates in Glance's order, takes the
image's import lock (``os_glance_import_task``), records a ``Task`` and queues it. ``run_import``
runs in a worker: it brings the data into the staging area when the method needs it
(web-download), writes it to each target store through the same checks as an upload (size
cap, quotas, format inspection, digests), and either makes the image active or puts it back
as it was, always releasing the lock. ``recover_interrupted_imports`` (run when a worker
starts) finds tasks whose worker died and restarts or fails them, so that nothing stays
``importing`` forever.
"""

import logging
import os
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.data import conversion, remote_images, sealed, staging, stores, urlsafety
from catalog.data.fetch import FetchError, open_url
from catalog.data.inspection import FormatWatch
from catalog.data.remote_images import RemoteImage
from catalog.domain import imports as import_rules
from catalog.exceptions import BadRequest, CatalogError, Conflict
from catalog.models import Image, ImageLocation, ImageProperty, Task
from catalog.reads import queries
from catalog.services import image_data, quotas
from catalog.services.images import lock_image_for, transition

logger = logging.getLogger(__name__)

LOCK_PROPERTY = "os_glance_import_task"
IMPORTING_TO = quotas.COPYING_PROPERTY  # os_glance_importing_to_stores
FAILED_IMPORT = "os_glance_failed_import"
HEARTBEAT_SECONDS = 2.0
MiB = 1024 * 1024


class ImportFailed(Exception):
    """The import cannot complete; the message goes to the task record."""


# --- Properties the server owns ------------------------------------------------------------


def _props(image: Image) -> dict[str, str]:
    return dict(ImageProperty.objects.filter(image=image).values_list("name", "value"))


def _set_props(image: Image, **values) -> None:
    """Write server-owned ``os_glance_*`` properties; None removes one."""
    for name, value in values.items():
        if value is None:
            ImageProperty.objects.filter(image=image, name=name).delete()
        else:
            ImageProperty.objects.update_or_create(
                image=image, name=name, defaults={"value": value}
            )


def _store_list(raw: str | None) -> list[str]:
    return [s for s in (raw or "").split(",") if s]


def _join(values) -> str:
    return ",".join(dict.fromkeys(values))


# --- The API half ------------------------------------------------------------------------


def writable_store_ids() -> list[str]:
    return [s.id for s in stores.all_stores().values() if not s.read_only]


def start_import(
    ctx: RequestContext, image_id: str, body, *, header_store: str | None = None
) -> Task | None:
    """Validate an import request, lock the image and queue the task (None: nothing to do,
    a copy-image to stores that all hold the image already)."""
    request = import_rules.parse_import_request(body, settings.CATALOG_ENABLED_IMPORT_METHODS)
    rule = "copy_image" if request.method == "copy-image" else "modify_image"
    # Network work (DNS, the other region) happens before the image row is locked, and after
    # a first policy check, so that nobody can make this server fetch for an image they may
    # not import into.
    queries.get_visible_image(ctx, image_id, rule=rule)
    remote = None
    if request.method == "web-download":
        urlsafety.check_url(request.uri)
    elif request.method == "glance-download":
        remote = _remote_image(ctx, request)
    with transaction.atomic():
        image = lock_image_for(ctx, image_id, rule, not_found=f"No image found with ID {image_id}")
        props = _props(image)
        # The lock first: Glance answers "Image has active task" to an import that follows
        # another at once (its status changes later, in the task; ours at once).
        _take_lock(image, props.get(LOCK_PROPERTY))
        import_rules.check_image_state(
            request, image.status, image.disk_format, image.container_format
        )
        present = list(
            image.locations.filter(status=ImageLocation.ACTIVE).values_list("store", flat=True)
        )
        _, default = stores.store_config()
        multi = stores.multiple_backends()
        targets = import_rules.target_stores(
            request,
            header_store if multi else None,
            writable_store_ids(),
            default,
            present,
        )
        if request.method == "copy-image" and not targets:
            return None
        if remote is not None:
            _adopt_remote_metadata(image, remote)
        target = quotas.STORE if request.method == "glance-direct" else quotas.STAGING
        declared = image.size if request.method in ("glance-direct", "copy-image") else None
        quotas.check_data_write_start(image.owner, image.pk, target=target, declared_size=declared)

        task = Task.objects.create(
            owner=ctx.project_id,
            image_id=image.pk,
            request_id=ctx.request_id,
            user_id=ctx.user_id or "",
            input={"image_id": image.pk, "import_req": body, "backend": targets},
            secret=sealed.seal(ctx.auth_token) if remote else "",
        )
        if remote:
            task.input["remote_file"] = remote.file_url
            task.save(update_fields=["input"])
        failed = [s for s in _store_list(props.get(FAILED_IMPORT)) if s not in targets]
        importing = _store_list(props.get(IMPORTING_TO)) + targets
        _set_props(
            image,
            **{
                LOCK_PROPERTY: task.id,
                IMPORTING_TO: _join(importing),
                FAILED_IMPORT: _join(failed),
            },
        )
        if request.method != "copy-image":
            transition(image, ImageStatus.IMPORTING)
        transaction.on_commit(lambda: enqueue(task.id))
    return task


def _remote_image(ctx: RequestContext, request) -> RemoteImage:
    """glance-download: read the other region's image with the caller's token."""
    if not ctx.auth_token:
        raise BadRequest("glance-download needs a token-authenticated request.")
    endpoint = remote_images.image_endpoint(
        request.glance_region, request.glance_service_interface, ctx.auth_token
    )
    return remote_images.fetch_record(endpoint, request.glance_image_id, ctx.auth_token)


def _adopt_remote_metadata(image: Image, remote: RemoteImage) -> None:
    """Give the local image the remote one's formats and the properties Glance copies
    (before it becomes importing, which needs the formats)."""
    Image.objects.filter(pk=image.pk).update(
        disk_format=remote.disk_format, container_format=remote.container_format
    )
    image.disk_format, image.container_format = remote.disk_format, remote.container_format
    _set_props(image, **remote.properties)


def _take_lock(image: Image, holder_id: str | None) -> None:
    """409 while another import holds the image; a stale holder is failed and replaced."""
    if not holder_id:
        return
    holder = Task.objects.filter(pk=holder_id).first()
    if not import_rules.lock_is_stale(
        holder.status if holder else None, holder.updated_at if holder else None, timezone.now()
    ):
        raise Conflict("Image has active task")
    if holder is not None and holder.status in (Task.Status.PENDING, Task.Status.PROCESSING):
        _finish_task(holder, Task.Status.FAILURE, "Superseded by a new import: this task stalled.")


def enqueue(task_id: str) -> None:
    from catalog.services.jobs import run_image_import

    run_image_import.enqueue(task_id)


# --- The worker half ---------------------------------------------------------------------


def run_import(task_id: str) -> None:
    """Carry out one queued import task (the worker's entry point)."""
    task = _claim(task_id)
    if task is None:
        return
    image = Image.objects.filter(pk=task.image_id, deleted=False).first()
    request = import_rules.parse_import_request(task.input["import_req"], import_rules.ALL_METHODS)
    targets = list(task.input.get("backend") or [])
    try:
        if image is None:
            raise ImportFailed("The image was deleted before the import ran.")
        if request.method == "web-download":
            _download_to_staging(task, image, request.uri)
        elif request.method == "glance-download":
            token = sealed.unseal(task.secret)
            if token is None:
                raise ImportFailed("The credentials of this glance-download are gone.")
            _download_to_staging(
                task, image, task.input["remote_file"], headers={"X-Auth-Token": token}
            )
        if request.method != "copy-image":
            image = _convert_staged(task, image)
        written = _write_to_stores(task, image, request, targets)
        _complete(task, image, request, targets, written)
    except (ImportFailed, CatalogError, FetchError, stores.StoreError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        logger.warning("Import task %s failed: %s", task.pk, message)
        _fail(task, image, request, targets, message)
    except Exception as exc:
        logger.exception("Import task %s crashed", task.pk)
        _fail(task, image, request, targets, f"Internal error: {type(exc).__name__}")


def _claim(task_id: str) -> Task | None:
    with transaction.atomic():
        task = Task.objects.select_for_update().filter(pk=task_id).first()
        if task is None or task.status != Task.Status.PENDING:
            return None  # already done, failed or taken by another worker
        task.status = Task.Status.PROCESSING
        task.attempts += 1
        task.updated_at = timezone.now()
        task.message = ""
        task.save(update_fields=["status", "attempts", "updated_at", "message"])
    return task


def _heartbeat(task: Task, chunks: Iterable[bytes], verb: str) -> Iterator[bytes]:
    """Pass chunks through, recording progress (and liveness) on the task every few seconds;
    stop when the task was failed meanwhile (a stolen lock, an admin)."""
    done, last = 0, time.monotonic()
    for chunk in chunks:
        done += len(chunk)
        if time.monotonic() - last >= HEARTBEAT_SECONDS:
            last = time.monotonic()
            alive = Task.objects.filter(pk=task.pk, status=Task.Status.PROCESSING).update(
                updated_at=timezone.now(), message=f"{verb} {done // MiB} MiB"
            )
            if not alive:
                raise ImportFailed("The task was stopped while it ran.")
        yield chunk


def _download_to_staging(task: Task, image: Image, uri: str, headers=None) -> None:
    """web-download and glance-download: fetch ``uri`` (re-checked, pinned, capped) into the
    staging area."""
    budget = quotas.check_data_write_start(
        image.owner, image.pk, target=quotas.STAGING, declared_size=None
    )
    cap = settings.CATALOG_IMAGE_SIZE_CAP
    limit = cap if budget is None else min(cap, budget)
    download = open_url(
        uri, max_bytes=limit, timeout=settings.CATALOG_IMPORT_TIMEOUT, headers=headers
    )
    writer = staging.staging_store().begin(image.pk)
    size = 0
    try:
        for chunk in _heartbeat(task, download.chunks(), "Downloaded"):
            writer.write(chunk)
            size += len(chunk)
        with transaction.atomic():
            quotas.check_data_write_end(image.owner, image.pk, size, target=quotas.STAGING)
            Image.objects.filter(pk=image.pk).update(size=size)
            writer.commit()
    except BaseException:
        writer.abort()
        raise


def _convert_staged(task: Task, image: Image) -> Image:
    """Convert the staged data to ``CATALOG_IMPORT_CONVERT_TO`` when configured (Glance's
    image_conversion plugin). The data is inspected first (qemu-img only sees what the format
    inspector accepts), and the image then carries its new format and size."""
    target = settings.CATALOG_IMPORT_CONVERT_TO
    image.refresh_from_db()
    if not target or image.disk_format in (target, "iso"):
        return image
    if not conversion.available():
        _note(task, f"Not converted to {target}: {conversion.unavailable_reason()}")
        return image
    store = staging.staging_store()
    path = store.path_for(image.pk)
    watch = FormatWatch(image.disk_format, "bare", require_match=True)
    reader = store.open(staging.staged_url(image.pk))
    try:
        for _ in watch.wrap(iter(reader)):
            pass
    finally:
        reader.close()
    watch.verdict()  # 415-style refusal of unsafe or mislabelled data
    try:
        converted = conversion.convert(path, image.disk_format, target, path.parent)
    except conversion.ConversionError as exc:
        raise ImportFailed(str(exc)) from None
    os.replace(converted.path, path)
    Image.objects.filter(pk=image.pk).update(
        disk_format=target, container_format="bare", size=converted.size
    )
    _note(task, f"Converted from {image.disk_format} to {target}.")
    image.refresh_from_db()
    return image


def _note(task: Task, message: str) -> None:
    Task.objects.filter(pk=task.pk).update(message=message, updated_at=timezone.now())


def _source_chunks(image: Image, request) -> tuple[Iterator[bytes], object]:
    """The data to import: the staged blob, or for copy-image an existing copy."""
    if request.method == "copy-image":
        for location in image.locations.filter(status=ImageLocation.ACTIVE):
            store = stores.get_store(location.store)
            if store is not None:
                reader = store.open(location.url)
                return iter(reader), reader
        raise ImportFailed("No store holds a readable copy of the image.")
    if not staging.has_staged_data(image.pk):
        raise ImportFailed("The staged data of the image is gone.")
    reader = staging.staging_store().open(staging.staged_url(image.pk))
    return iter(reader), reader


def _write_to_stores(task: Task, image: Image, request, targets: list[str]) -> list:
    """Write the data to every target store (uncommitted). Returns (store, writer, received)
    for those that succeeded; a failure is fatal unless all_stores_must_succeed is false."""
    written, failed = [], []
    size = Image.objects.filter(pk=image.pk).values_list("size", flat=True).first()
    for store_id in targets:
        store = stores.get_store(store_id)
        writer = None
        try:
            if store is None or store.read_only:
                raise ImportFailed(f"Store {store_id} is not available.")
            chunks, reader = _source_chunks(image, request)
            try:
                budget = quotas.storage_remaining(image.owner, exclude_image_id=image.pk)
                writer = store.begin(image.pk)
                received = image_data.receive_into(
                    image, _heartbeat(task, chunks, "Copied"), size, budget, writer
                )
            finally:
                reader.close()
            written.append((store, writer, received))
        except (ImportFailed, CatalogError, stores.StoreError) as exc:
            if writer is not None:
                writer.abort()
            if request.all_stores_must_succeed:
                for _, other, _ in written:
                    other.abort()
                raise
            failed.append(store_id)
            logger.warning("Import of %s to store %s failed: %s", image.pk, store_id, exc)
    if not written:
        raise ImportFailed("The import failed in every store: " + ", ".join(failed))
    task.input = {**task.input, "failed_stores": failed}
    return written


def _complete(task: Task, image: Image, request, targets: list[str], written: list) -> None:
    """Commit the copies, then record them in one short transaction (an S3 commit is network
    work, kept out of the transaction that holds the image and quota locks; until recorded,
    the blobs belong to a locked import, which scrub_images spares)."""
    committed = []
    try:
        for store, writer, _ in written:
            committed.append((store, writer.commit()))
        received = written[0][2]
        with transaction.atomic():
            fresh = queries.lock_live_image(image.pk)
            expected = (
                ImageStatus.ACTIVE if request.method == "copy-image" else ImageStatus.IMPORTING
            )
            if fresh is None or fresh.status != expected:
                raise ImportFailed("The image changed while it was being imported.")
            quotas.check_data_write_end(fresh.owner, fresh.pk, received.size, target=quotas.STORE)
            for store, blob in committed:
                ImageLocation.objects.create(
                    image=fresh, store=store.id, url=blob.url, metadata=blob.metadata
                )
            if request.method != "copy-image":
                transition(fresh, ImageStatus.ACTIVE, **received.image_fields())
            _release(fresh, targets, task.input.get("failed_stores", []))
            stored_in = ", ".join(store.id for store, _ in committed)
            _finish_task(
                task,
                Task.Status.SUCCESS,
                f"Imported {_describe_size(received.size)} to {stored_in}",
                result={"image_id": fresh.pk},
            )
    except BaseException:
        for store, blob in committed:
            image_data.discard_blob(store, blob.url)
        for _, writer, _ in written[len(committed) :]:
            writer.abort()
        raise
    if request.method != "copy-image":
        staging.discard(image.pk)


def _describe_size(size: int) -> str:
    return f"{size // MiB} MiB" if size >= MiB else f"{size} bytes"


def _release(image: Image, targets: list[str], failed: list[str]) -> None:
    """Drop the lock and this import's stores from the progress properties."""
    props = _props(image)
    importing = [s for s in _store_list(props.get(IMPORTING_TO)) if s not in targets]
    failures = _store_list(props.get(FAILED_IMPORT)) + failed
    _set_props(
        image,
        **{LOCK_PROPERTY: None, IMPORTING_TO: _join(importing), FAILED_IMPORT: _join(failures)},
    )


def _finish_task(task: Task, status: str, message: str, result=None) -> None:
    now = timezone.now()
    task.secret = ""
    task.status = status
    task.message = message
    task.result = result
    task.updated_at = now
    task.expires_at = now + timedelta(hours=settings.CATALOG_TASK_TIME_TO_LIVE)
    task.save(
        update_fields=["status", "message", "result", "updated_at", "expires_at", "input", "secret"]
    )


def _fail(task: Task, image: Image | None, request, targets: list[str], message: str) -> None:
    """Fail the task cleanly: the image back as it was before the import, lock released."""
    with transaction.atomic():
        fresh = queries.lock_live_image(image.pk) if image is not None else None
        if fresh is not None:
            if fresh.status == ImageStatus.IMPORTING:
                transition(fresh, ImageStatus.QUEUED)
            if _props(fresh).get(LOCK_PROPERTY) == task.pk:
                _release(fresh, targets, targets)
        _finish_task(task, Task.Status.FAILURE, message)
    if image is not None and request.method != "copy-image":
        staging.discard(image.pk)


# --- Recovery ----------------------------------------------------------------------------


def recover_interrupted_imports(now=None) -> dict[str, int]:
    """Tasks whose worker stopped (no heartbeat for CATALOG_IMPORT_STALE_AFTER seconds) are
    queued again while they have attempts left, and failed cleanly after that."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CATALOG_IMPORT_STALE_AFTER)
    counts = {"restarted": 0, "failed": 0}
    # Finished tasks live for CATALOG_TASK_TIME_TO_LIVE hours (Glance's task_time_to_live).
    Task.objects.filter(expires_at__lt=now).delete()
    stale = Task.objects.filter(status=Task.Status.PROCESSING, updated_at__lt=cutoff)
    for task_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            task = (
                Task.objects.select_for_update()
                .filter(pk=task_id, status=Task.Status.PROCESSING, updated_at__lt=cutoff)
                .first()
            )
            if task is None:
                continue
            request = import_rules.parse_import_request(
                task.input["import_req"], import_rules.ALL_METHODS
            )
            image = Image.objects.filter(pk=task.image_id, deleted=False).first()
            restartable = image is not None and (
                request.method != "glance-direct" or staging.has_staged_data(image.pk)
            )
            if restartable and task.attempts < settings.CATALOG_IMPORT_MAX_ATTEMPTS:
                task.status = Task.Status.PENDING
                task.updated_at = now
                task.message = f"Restarted after its worker stopped (attempt {task.attempts})."
                task.save(update_fields=["status", "updated_at", "message"])
                transaction.on_commit(lambda t=task.pk: enqueue(t))
                counts["restarted"] += 1
                continue
            # Claimed while locked, so that a second recoverer skips it.
            task.status = Task.Status.FAILURE
            task.save(update_fields=["status"])
        _fail(
            task,
            image,
            request,
            list(task.input.get("backend") or []),
            "The import was interrupted and could not be resumed.",
        )
        counts["failed"] += 1
    return counts
