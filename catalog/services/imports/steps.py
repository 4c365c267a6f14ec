"""The work that differs between import methods, keyed by the names of the methods' table
(``catalog.domain.imports.IMPORT_METHODS``), and the byte-moving steps they share.

A method's ``look_up`` runs in the request, before the image is locked: a network check of
its source, or the record it imports from. Its ``fetch`` runs in the worker and brings the
data into the staging area. What comes after (conversion, the writes to the stores) depends
only on where the data is, which the table says.
"""

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from catalog.context import RequestContext
from catalog.data import conversion, remote_images, sealed, staging, stores, urlsafety
from catalog.data.fetch import RateGuard, open_url
from catalog.data.inspection import FormatWatch
from catalog.data.remote_images import RemoteImage
from catalog.domain.imports import ImportRequest
from catalog.exceptions import BadRequest
from catalog.identity import external
from catalog.models import Image, ImageLocation, Task
from catalog.services import quotas
from catalog.services.imports.task_record import ImportFailed, heartbeat, note


@dataclass(frozen=True)
class MethodSteps:
    """What one method does that the others do not (None: nothing)."""

    # In the request, before the image is locked; a glance-download returns the remote image.
    look_up: Callable[[RequestContext, ImportRequest], RemoteImage | None] | None = None
    # In the worker, first: bring the data into the staging area.
    fetch: Callable[[Task, Image, ImportRequest], None] | None = None


# --- Each method's own steps ---------------------------------------------------------------


def _check_url(ctx: RequestContext, request: ImportRequest) -> None:
    urlsafety.check_url(request.uri)


def _read_remote_image(ctx: RequestContext, request: ImportRequest) -> RemoteImage:
    """glance-download: read the other region's image with the caller's token."""
    if not ctx.auth_token:
        raise BadRequest("glance-download needs a token-authenticated request.")
    endpoint = remote_images.image_endpoint(
        request.glance_region,
        request.glance_service_interface,
        lambda: external.user_catalog(ctx.auth_token),
    )
    return remote_images.fetch_record(endpoint, request.glance_image_id, ctx.auth_token)


def _download_uri(task: Task, image: Image, request: ImportRequest) -> None:
    _download_to_staging(task, image, request.uri, expected_hash=request.expected_hash)


def _download_remote_image(task: Task, image: Image, request: ImportRequest) -> None:
    token = sealed.unseal(task.secret)
    if token is None:
        raise ImportFailed("The credentials of this glance-download are gone.")
    _download_to_staging(task, image, task.input["remote_file"], headers={"X-Auth-Token": token})


STEPS: dict[str, MethodSteps] = {
    "glance-direct": MethodSteps(),
    "web-download": MethodSteps(look_up=_check_url, fetch=_download_uri),
    "copy-image": MethodSteps(),
    "glance-download": MethodSteps(look_up=_read_remote_image, fetch=_download_remote_image),
}


# --- Shared steps ----------------------------------------------------------------------------


def _download_to_staging(
    task: Task, image: Image, uri: str, headers=None, expected_hash=None
) -> None:
    """web-download and glance-download: fetch ``uri`` (re-checked, pinned, capped) into the
    staging area. With ``expected_hash`` ((algo, hex)), data that does not match is refused
    before anything is committed: the task fails, and the image goes back to queued."""
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
    digest = hashlib.new(expected_hash[0]) if expected_hash else None
    try:
        guard = RateGuard(
            uri,
            deadline=settings.CATALOG_IMPORT_DEADLINE,
            min_rate=settings.CATALOG_IMPORT_MIN_RATE,
            window=settings.CATALOG_IMPORT_RATE_WINDOW,
        )
        for chunk in heartbeat(task, guard.wrap(download.chunks()), "Downloaded"):
            writer.write(chunk)
            if digest is not None:
                digest.update(chunk)
            size += len(chunk)
        if digest is not None and digest.hexdigest() != expected_hash[1]:
            raise ImportFailed(
                f"The downloaded data does not match the expected {expected_hash[0]} hash: "
                f"expected {expected_hash[1]}, got {digest.hexdigest()}. Nothing was kept."
            )
        with transaction.atomic():
            quotas.check_data_write_end(image.owner, image.pk, size, target=quotas.STAGING)
            Image.objects.filter(pk=image.pk).update(size=size)
            writer.commit()
    except BaseException:
        writer.abort()
        raise


def convert_staged(task: Task, image: Image) -> Image:
    """Convert the staged data to ``CATALOG_IMPORT_CONVERT_TO`` when configured (Glance's
    image_conversion plugin). The data is inspected first (qemu-img only sees what the format
    inspector accepts), and the image then carries its new format and size."""
    target = settings.CATALOG_IMPORT_CONVERT_TO
    image.refresh_from_db()
    if not target or image.disk_format in (target, "iso"):
        return image
    if not conversion.available():
        note(task, f"Not converted to {target}: {conversion.unavailable_reason()}")
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
    note(task, f"Converted from {image.disk_format} to {target}.")
    image.refresh_from_db()
    return image


def open_source(image: Image, request: ImportRequest) -> tuple[Iterator[bytes], object]:
    """The data to import: the staged blob, or for a copy an existing copy."""
    if request.kind.copies:
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
