"""Image data: upload (``PUT /file``) and download (``GET /file``).

An upload is one streaming pass: the request body goes through a size guard (declared size,
size cap, storage quota), the format inspector, the two digests and into a store writer.
The blob is committed only when every check has passed, and the image becomes ``active`` in
the same step as its location is recorded. Any failure aborts the writer and returns the
image to ``queued`` with nothing of the upload left (Glance keeps hashes and data after a
failed inspection: docs/glance-differences.md#failed-upload).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import policy
from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.data import staging, stores, streams
from catalog.data.inspection import FormatWatch
from catalog.data.stores.http import HttpStore, VerifiedReader
from catalog.domain import images as image_rules
from catalog.domain import imports as import_rules
from catalog.exceptions import (
    BadRequest,
    Forbidden,
    Gone,
    InvalidTransition,
    ServiceUnavailable,
)
from catalog.models import Image, ImageLocation, Lease
from catalog.reads import queries
from catalog.services import cache, events, leases, quotas
from catalog.services.images import back_to_queued, lock_image_for, transition

logger = logging.getLogger(__name__)


def choose_store(store_id: str | None) -> stores.Store:
    """The store an upload goes to. As in Glance, ``X-Image-Meta-Store`` counts only in
    multi-store mode; a single-store site ignores it."""
    if store_id is None or not stores.multiple_backends():
        store = stores.default_store()
    else:
        store = stores.get_store(store_id)
        if store is None:
            raise BadRequest(f"Store for identifier {store_id} not found")
    if store.read_only:
        # Glance answers StoreAddDisabled with 410.
        raise Gone(f"Store {store.id} is read-only: image data cannot be added to it.")
    return store


def _start_saving(
    ctx: RequestContext, image_id: str, declared_size: int | None, store: stores.Store
):
    """Lock the image, check the quotas a new write needs, move it to saving and take the
    write's lease.

    Returns the image, the bytes the write may use (None: unlimited) and the lease.
    """
    with transaction.atomic():
        image = lock_image_for(
            ctx,
            image_id,
            "upload_image",
            not_found=f"No image found with ID {image_id}",
            forbidden=f"Not allowed to upload image data for image {image_id}",
        )
        # The status check comes first: a 409 for an active image, not a quota message.
        image_rules.check_transition(
            image.status, ImageStatus.SAVING, image.disk_format, image.container_format
        )
        budget = quotas.check_data_write_start(
            image.owner, image.pk, target=quotas.STORE, declared_size=declared_size
        )
        lease = leases.acquire(Lease.UPLOAD, image.pk, store=store.id)
        before = image.status
        transition(image, ImageStatus.SAVING)
        events.image(ctx, "image.update", image, changes={"status": [before, image.status]})
        events.image(ctx, "image.prepare", image, import_lists=True, store=store.id)
        return image, budget, lease


def _restore_queued(image: Image, lease: Lease, writing_status: str = ImageStatus.SAVING) -> None:
    """Put a failed write's image back to queued (clearing size and hashes) and give its
    lease up. A lease already taken over means the recovery sweep did it."""
    try:
        with transaction.atomic():
            if not leases.release(lease):
                return
            fresh = queries.lock_live_image(image.pk)
            if fresh is not None and fresh.status == writing_status:
                back_to_queued(fresh)
                return
    except InvalidTransition:
        pass
    raise _gone(image)


def _gone(image: Image) -> Gone:
    return Gone(
        f"Image {image.pk} could not be found after upload. The image may have been "
        "deleted during the upload, cleaning up the chunks uploaded."
    )


@dataclass
class _Received:
    size: int
    checksum: str
    os_hash_value: str
    virtual_size: int | None

    def image_fields(self) -> dict:
        """What the image records of its data once it is stored."""
        return {
            "size": self.size,
            "virtual_size": self.virtual_size,
            "checksum": self.checksum,
            "os_hash_algo": settings.CATALOG_HASH_ALGORITHM,
            "os_hash_value": self.os_hash_value,
        }


def receive_into(image: Image, chunks: Iterable[bytes], declared_size, budget, writer) -> _Received:
    """Stream the body into ``writer`` with every check (the blob is not committed yet)."""
    # The guard stops the stream at the first chunk past the size cap or the quota budget
    # known at the start (what quotas.check_written does, here with Glance's wording).
    guard = streams.SizeGuard(declared_size, cap=settings.CATALOG_IMAGE_SIZE_CAP, remaining=budget)
    watch = FormatWatch(
        image.disk_format,
        image.container_format,
        require_match=settings.CATALOG_REQUIRE_IMAGE_FORMAT_MATCH,
    )
    parallel = settings.CATALOG_PARALLEL_HASHING
    digests = streams.Digests(settings.CATALOG_HASH_ALGORITHM, parallel=parallel)
    # The store write gets a thread of its own too: reading the socket, the two digests and
    # the write then proceed together (bench/data.py measures the difference).
    sink = streams.ChunkWorker(writer.write, name="store-write") if parallel else None
    try:
        for chunk in watch.wrap(guard.wrap(chunks)):
            digests.update(chunk)
            if sink is not None:
                sink.put(chunk)
            else:
                writer.write(chunk)
        if sink is not None:
            sink.finish()
    except BaseException:
        digests.close()
        if sink is not None:
            sink.close()
        raise
    checksum, secure = digests.finish()
    virtual_size = watch.verdict()
    return _Received(guard.count, checksum, secure, virtual_size)


def upload_data(
    ctx: RequestContext,
    image_id: str,
    chunks: Iterable[bytes],
    *,
    declared_size: int | None = None,
    store_id: str | None = None,
) -> Image:
    """Store the data of a queued image and make it active (``PUT /v2/images/{id}/file``)."""
    store = choose_store(store_id)
    image, budget, lease = _start_saving(ctx, image_id, declared_size, store)
    with leases.hold(lease) as held:
        writer = None
        try:
            writer = store.begin(image.pk)
            received = receive_into(image, held.guard(chunks), declared_size, budget, writer)
            # Committed before the transaction below: an S3 commit is network work, and that
            # transaction holds the locks that serialise the project's quota checks. Until
            # its location is recorded the blob belongs to a saving image, which
            # scrub_images spares (and the lease, renewed meanwhile, says it is alive).
            blob = writer.commit()
        except BaseException as exc:
            if writer is not None:
                writer.abort()
            if isinstance(exc, Exception):
                events.image_failed(ctx, "image.upload", image, upload_failure(image, exc))
            _restore_queued(image, lease)
            if isinstance(exc, stores.StoreError):
                # A store failure, at any step (a full disk at the final fsync too), is
                # Glance's 503.
                logger.error("Upload of image %s to store %s failed: %s", image.pk, store.id, exc)
                raise ServiceUnavailable("The image store failed to save the data.") from exc
            raise
        return _activate(ctx, image, store, blob, received, lease)


def upload_failure(image: Image, exc: Exception) -> str:
    """The failed image.upload's payload: a sentence, as Glance sends."""
    reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"Failed to upload image data for image {image.pk}: {reason}"


def _activate(
    ctx: RequestContext, image: Image, store: stores.Store, blob, received: _Received, lease: Lease
) -> Image:
    """Record the upload in one short transaction: re-check the quotas under the project
    lock (Glance re-checks after the write too: concurrent uploads of one owner may each have
    passed the first check), make the image active and record the location. A refusal
    discards the blob."""
    try:
        with transaction.atomic():
            if not leases.release(lease):
                raise leases.LeaseLost()
            fresh = queries.lock_live_image(image.pk)
            if fresh is None or fresh.status != ImageStatus.SAVING:
                raise InvalidTransition("The image left the saving status during the upload.")
            quotas.check_data_write_end(fresh.owner, fresh.pk, received.size, target=quotas.STORE)
            transition(fresh, ImageStatus.ACTIVE, **received.image_fields())
            ImageLocation.objects.create(
                image=fresh, store=store.id, url=blob.url, metadata=blob.metadata
            )
            events.image(ctx, "image.upload", fresh, import_lists=True, store=store.id)
            events.image(ctx, "image.activate", fresh)
            events.image(ctx, "image.update", fresh, changes=activation_changes(received))
            return fresh
    except BaseException as exc:
        if isinstance(exc, leases.LeaseLost):
            raise  # the blob is the recovery sweep's, and a retry may own its key by now
        discard_blob(store, blob.url)
        if isinstance(exc, InvalidTransition):
            leases.release(lease)
            raise _gone(image) from None
        _restore_queued(image, lease)
        raise


def activation_changes(received: _Received) -> dict:
    fields = received.image_fields()
    return {
        "status": [ImageStatus.SAVING, ImageStatus.ACTIVE],
        "size": [None, fields["size"]],
        "checksum": [None, fields["checksum"]],
    }


def discard_blob(store: stores.Store, url: str) -> None:
    try:
        store.delete(url)
    except stores.BlobNotFound:
        pass
    except stores.StoreError:
        # Left for ``scrub_images``, which deletes blobs that no location names.
        logger.exception("Could not remove the data of an abandoned upload at %s", url)


# --- Stage (interoperable import) ---------------------------------------------------------


def stage_data(
    ctx: RequestContext, image_id: str, chunks: Iterable[bytes], *, declared_size: int | None = None
) -> Image:
    """Stage the data of a queued image for a glance-direct import (``PUT /stage``).

    The same streaming pass as an upload (size cap, staging quota, format inspection when the
    formats are known, digests), into the staging area; the image becomes ``uploading`` with
    its staged size, and stays there until ``POST /import``.
    """
    if "glance-direct" not in settings.CATALOG_ENABLED_IMPORT_METHODS:
        raise import_rules.method_not_available("glance-direct")
    with transaction.atomic():
        image = lock_image_for(
            ctx, image_id, "modify_image", not_found=f"No image found with ID {image_id}"
        )
        # Staging needs no formats, the import does:
        # docs/glance-differences.md#stage-without-formats.
        image_rules.check_transition(image.status, ImageStatus.UPLOADING, None, None)
        budget = quotas.check_data_write_start(
            image.owner, image.pk, target=quotas.STAGING, declared_size=declared_size
        )
        image = transition(image, ImageStatus.UPLOADING)
        events.image(ctx, "image.update", image, changes={"status": ["queued", "uploading"]})
        lease = leases.acquire(Lease.STAGE, image.pk, store=staging.STAGING_STORE_ID)
    with leases.hold(lease) as held:
        return _stage(image, held, chunks, declared_size, budget)


def _stage(image: Image, held: leases.Held, chunks, declared_size, budget) -> Image:
    store = staging.staging_store()
    lease = held.lease
    writer = None
    try:
        writer = store.begin(image.pk)
        received = receive_into(image, held.guard(chunks), declared_size, budget, writer)
        with transaction.atomic():
            if not leases.release(lease):
                raise leases.LeaseLost()
            fresh = queries.lock_live_image(image.pk)
            if fresh is None or fresh.status != ImageStatus.UPLOADING:
                raise InvalidTransition("The image left the uploading status while staging.")
            quotas.check_data_write_end(fresh.owner, fresh.pk, received.size, target=quotas.STAGING)
            Image.objects.filter(pk=fresh.pk).update(size=received.size)
            writer.commit()
            writer = None
            fresh.size = received.size
            return fresh
    except BaseException as exc:
        if writer is not None:
            writer.abort()
        if isinstance(exc, leases.LeaseLost):
            raise  # the recovery sweep cleaned up; a retry may be staging by now
        staging.discard(image.pk)
        if isinstance(exc, InvalidTransition):
            leases.release(lease)
            raise _gone(image) from None
        _restore_queued(image, lease, ImageStatus.UPLOADING)
        if isinstance(exc, stores.StoreError):
            logger.error("Staging image %s failed: %s", image.pk, exc)
            raise ServiceUnavailable("The staging area failed to save the data.") from exc
        raise


# --- Download ----------------------------------------------------------------------------


@dataclass
class Download:
    """An open image (or range of it) ready to be sent."""

    image: Image
    reader: object
    byte_range: streams.ByteRange | None
    ctx: RequestContext | None = None
    sent: int = 0
    iterated: bool = False
    reported: bool = False

    @property
    def length(self) -> int:
        return self.byte_range.length if self.byte_range else self.image.size

    def chunks(self):
        """The reader's chunks, counted for image.send."""
        self.iterated = True
        for chunk in self.reader:
            self.sent += len(chunk)
            yield chunk

    def finished(self) -> None:
        """Emit image.send (once) when the response is closed. A reader the server sent
        itself (``wsgi.file_wrapper``: sendfile) was never iterated here; the server sends
        all of it or drops the connection, so it counts as the whole length."""
        if self.reported:
            return
        self.reported = True
        sent = self.sent if self.iterated else self.length
        events.send(self.ctx, self.image, sent, self.length)


def preferred_stores(prefer: str | None) -> list[str]:
    """The store ids of ``?prefer=`` (comma-separated), checked against the configuration."""
    if prefer is None:
        return []
    if not stores.multiple_backends():
        raise BadRequest(
            "Store selection for download is not available when multiple backends are not enabled."
        )
    wanted = [s.strip() for s in prefer.split(",") if s.strip()]
    for store_id in wanted:
        if stores.get_store(store_id) is None:
            raise BadRequest(f"Store '{store_id}' is not configured.")
    return wanted


def read_order(locations: list[ImageLocation], preferred: list[str]) -> list[ImageLocation]:
    """The copies in the order a download tries them: the preferred stores' (in the order
    asked), then by store weight, heaviest first (equal weights: stored order)."""
    by_weight = stores.by_weight([location.store for location in locations])
    rank = {store_id: i for i, store_id in enumerate(by_weight)}
    asked = {store_id: i for i, store_id in enumerate(preferred)}
    return sorted(
        locations,
        key=lambda location: (
            asked.get(location.store, len(asked)),
            rank.get(location.store, len(rank)),
        ),
    )


def _mark_failed(location: ImageLocation, why: str) -> None:
    """An http copy whose remote data no longer matches the image is taken out of service
    (an admin can see it in the admin, and remove or re-add it)."""
    logger.error("Image %s: location %s is failed: %s", location.image_id, location.pk, why)
    ImageLocation.objects.filter(pk=location.pk).update(
        status=ImageLocation.FAILED, updated_at=timezone.now()
    )


def _open_copy(image: Image, location: ImageLocation, store: stores.Store, start, length):
    reader = store.open(location.url, start, length)
    if isinstance(store, HttpStore) and start == 0 and length == image.size:
        return VerifiedReader(
            reader, image.size, image.checksum, lambda why: _mark_failed(location, why)
        )
    return reader


def open_data(
    ctx: RequestContext,
    image_id: str,
    *,
    range_header: str | None = None,
    content_range: str | None = None,
    prefer: str | None = None,
) -> Download | None:
    """The data of an image for ``GET /v2/images/{id}/file``; None when it has none (204)."""
    image = queries.get_visible_image(ctx, image_id, rule="download_image")
    preferred = preferred_stores(prefer)
    if preferred:
        policy.enforce(ctx, "download_from_store", policy.image_target(ctx, image))
    if image.status == ImageStatus.DEACTIVATED and not ctx.is_admin:
        raise Forbidden(
            "The requested image has been deactivated. Image data download is forbidden."
        )
    if image.status not in (ImageStatus.ACTIVE, ImageStatus.DEACTIVATED):
        return None
    locations = list(image.locations.filter(status=ImageLocation.ACTIVE))
    if not locations:
        return None
    byte_range = streams.parse_range(range_header, content_range, image.size)
    start, length = (byte_range.start, byte_range.length) if byte_range else (0, image.size)
    ordered = read_order(locations, preferred)

    def from_store(at: int, count: int):
        return open_from_stores(image, ordered, at, count)

    # The cache serves active images (not deactivated ones), unless a store was asked for.
    if cache.enabled() and image.status == ImageStatus.ACTIVE and not preferred:
        reader = cache.open_cached(image, start, length, from_store)
        if reader is not None:
            return Download(image, reader, byte_range, ctx)
    return Download(image, from_store(start, length), byte_range, ctx)


def open_from_stores(image: Image, ordered: list[ImageLocation], start: int, length: int):
    """A reader from the first copy that opens, in ``ordered`` order (503 when none does)."""
    last_error = None
    for location in ordered:
        store = stores.get_store(location.store)
        if store is None:
            continue
        try:
            return _open_copy(image, location, store, start, length)
        except stores.StoreError as exc:
            logger.error("Image %s: %s", image.pk, exc)
            last_error = exc
    raise ServiceUnavailable("The image data is not available from any store.") from last_error


def open_image(image: Image):
    """The whole data of an active image from its stores (the cache's prefetch)."""
    ordered = read_order(list(image.locations.filter(status=ImageLocation.ACTIVE)), [])
    return open_from_stores(image, ordered, 0, image.size)
