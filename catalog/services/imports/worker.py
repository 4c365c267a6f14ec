"""The worker half of an import: carry out one queued task, then make the image active (or
add the new stores to it), or put it back as it was; either way the lock is released."""

import logging

from django.db import transaction

from catalog.choices import ImageStatus
from catalog.data import staging, stores
from catalog.data.fetch import FetchError
from catalog.domain import imports as import_rules
from catalog.domain.imports import ImportRequest
from catalog.exceptions import CatalogError
from catalog.models import Image, ImageLocation, Lease, Task
from catalog.reads import queries
from catalog.services import events, image_data, leases, quotas
from catalog.services.images import back_to_queued, transition
from catalog.services.imports import lock, steps, task_record
from catalog.services.imports.task_record import ImportFailed, MiB

logger = logging.getLogger(__name__)


def run_import(task_id: str) -> None:
    """Carry out one queued import task (the worker's entry point). ``ProjectBusy`` when its
    project already runs its share of imports (the job is queued again later)."""
    claimed = task_record.claim(task_id)
    if claimed is None:
        return
    task, lease = claimed
    with leases.hold(lease):
        _run(task, lease)


def _run(task: Task, lease: Lease) -> None:
    image = Image.objects.filter(pk=task.image_id, deleted=False).first()
    request = import_rules.parse_import_request(task.input["import_req"], import_rules.ALL_METHODS)
    targets = list(task.input.get("backend") or [])
    try:
        if image is None:
            raise ImportFailed("The image was deleted before the import ran.")
        fetch = steps.STEPS[request.method].fetch
        if fetch is not None:
            fetch(task, image, request)
        if request.kind.uses_staging:
            image = steps.convert_staged(task, image)
        written = _write_to_stores(task, image, request, targets)
        _complete(task, image, request, targets, written, lease)
    except (ImportFailed, CatalogError, FetchError, stores.StoreError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        logger.warning("Import task %s failed: %s", task.pk, message)
        fail(task, image, request, targets, message, lease=lease)
    except Exception as exc:
        logger.exception("Import task %s crashed", task.pk)
        fail(task, image, request, targets, f"Internal error: {type(exc).__name__}", lease=lease)


def _write_to_stores(task: Task, image: Image, request: ImportRequest, targets: list[str]) -> list:
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
            chunks, reader = steps.open_source(image, request)
            try:
                budget = quotas.storage_remaining(image.owner, exclude_image_id=image.pk)
                writer = store.begin(image.pk)
                received = image_data.receive_into(
                    image, task_record.heartbeat(task, chunks, "Copied"), size, budget, writer
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


def _complete(
    task: Task, image: Image, request: ImportRequest, targets: list[str], written: list, lease
) -> None:
    """Commit the copies, then record them in one short transaction (an S3 commit is network
    work, kept out of the transaction that holds the image and quota locks; until recorded,
    the blobs belong to a locked import, which scrub_images spares)."""
    copies = request.kind.copies
    committed = []
    try:
        for store, writer, _ in written:
            committed.append((store, writer.commit()))
        received = written[0][2]
        with transaction.atomic():
            if not leases.release(lease):
                raise ImportFailed("The import was taken over by the recovery sweep.")
            fresh = queries.lock_live_image(image.pk)
            expected = ImageStatus.ACTIVE if copies else ImageStatus.IMPORTING
            if fresh is None or fresh.status != expected:
                raise ImportFailed("The image changed while it was being imported.")
            quotas.check_data_write_end(fresh.owner, fresh.pk, received.size, target=quotas.STORE)
            for store, blob in committed:
                ImageLocation.objects.create(
                    image=fresh, store=store.id, url=blob.url, metadata=blob.metadata
                )
            if not copies:
                transition(fresh, ImageStatus.ACTIVE, **received.image_fields())
                events.imported(fresh, received.size)
            lock.release(fresh, targets, task.input.get("failed_stores", []))
            stored_in = ", ".join(store.id for store, _ in committed)
            task_record.finish(
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
    if request.kind.uses_staging:
        staging.discard(image.pk)


def _describe_size(size: int) -> str:
    return f"{size // MiB} MiB" if size >= MiB else f"{size} bytes"


def fail(
    task: Task,
    image: Image | None,
    request: ImportRequest,
    targets: list[str],
    message: str,
    *,
    lease: Lease | None = None,
) -> None:
    """Fail the task cleanly: the image back as it was before the import, lock released. A
    worker passes its ``lease``: once the recovery sweep has taken it over, the task is the
    sweep's (requeued, or failed by it) and this does nothing."""
    with transaction.atomic():
        if lease is not None and not leases.release(lease):
            logger.warning("Import task %s was taken over by the recovery sweep", task.pk)
            return
        fresh = queries.lock_live_image(image.pk) if image is not None else None
        if fresh is not None:
            if fresh.status == ImageStatus.IMPORTING:
                back_to_queued(fresh)
            if lock.read_props(fresh).get(lock.LOCK_PROPERTY) == task.pk:
                lock.release(fresh, targets, targets)
        task_record.finish(task, Task.Status.FAILURE, message)
    if image is not None and request.kind.uses_staging:
        staging.discard(image.pk)
