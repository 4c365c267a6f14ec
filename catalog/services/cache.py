"""The image cache's bookkeeping and the ``/v2/cache`` API (admins only, as Glance).

Each node keeps copies on its own disk (``catalog.data.cache``) and records them here under
its own address (``CATALOG_NODE_URL``, Glance's ``worker_self_reference_url``), so any node
answers for all of them: a list shows every node's copies, and a delete (or an image's
deletion or deactivation) reaches every node: this node's copy goes at once, other nodes'
rows become ``evict`` and their workers remove the copies (``apply_evictions``, a periodic
job). Queued images are fetched by the node's worker (``prefetch``, a periodic job).
"""

import logging
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from catalog import ids, policy
from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.data.cache import CacheDir, TeeReader
from catalog.exceptions import BadRequest, NotFound
from catalog.models import CacheEntry, Image
from catalog.reads import queries

logger = logging.getLogger(__name__)
CLEAR_TARGETS = ("", "cache", "queue", "both")


def enabled() -> bool:
    return bool(settings.CATALOG_IMAGE_CACHE_DIR)


def cache_dir() -> CacheDir:
    return CacheDir(settings.CATALOG_IMAGE_CACHE_DIR)


def node() -> str:
    return settings.CATALOG_NODE_URL or f"http://{socket.gethostname()}"


def _mine():
    return CacheEntry.objects.filter(node=node())


# --- The download path ---------------------------------------------------------------------


def open_cached(image: Image, start: int, length: int, from_store: Callable[[int, int], object]):
    """A reader of ``length`` bytes from ``start`` served by the cache, or None when the
    download goes to the store alone (a range of an uncached image). A full download of an
    uncached image fills the cache as it streams; concurrent ones follow that fill."""
    directory = cache_dir()
    copy = directory.open_copy(image.pk, image.size, start, length)
    if copy is not None:
        _record_hit(image)
        return copy
    _mine().filter(image_id=image.pk, state=CacheEntry.CACHED).delete()  # gone or truncated
    if start != 0 or length != image.size:
        return None
    fill = directory.begin_fill(image.pk)
    if fill is None:
        return directory.follow(image.pk, image.size, lambda at: from_store(at, image.size - at))
    try:
        reader = from_store(0, image.size)
    except BaseException:
        fill.abort()
        raise
    return TeeReader(reader, fill, image.size, image.checksum, lambda kept: _filled(image, kept))


def _filled(image: Image, kept: bool) -> None:
    if not kept:
        logger.error("Image %s: the cached copy did not match the image; not kept.", image.pk)
        _mine().filter(image_id=image.pk, state=CacheEntry.QUEUED).delete()
        return
    CacheEntry.objects.update_or_create(
        node=node(), image_id=image.pk, defaults=_cached_fields(image, hits=0)
    )
    prune_to_limit()


def _cached_fields(image: Image, hits: int) -> dict:
    now = time.time()
    return {
        "state": CacheEntry.CACHED,
        "size": image.size,
        "hits": hits,
        "last_accessed": now,
        "last_modified": now,
    }


def _record_hit(image: Image) -> None:
    now = time.time()
    updated = (
        _mine()
        .filter(image_id=image.pk)
        .update(state=CacheEntry.CACHED, hits=F("hits") + 1, last_accessed=now)
    )
    if not updated:
        CacheEntry.objects.get_or_create(
            node=node(), image_id=image.pk, defaults=_cached_fields(image, hits=1)
        )


# --- Eviction ------------------------------------------------------------------------------


def forget_image(image_id: str) -> None:
    """An image deleted or deactivated: its copies go, here at once, elsewhere through the
    other nodes' workers."""
    if not enabled():
        return
    _evict(CacheEntry.objects.filter(image_id=image_id))


def _evict(entries) -> None:
    """Remove this node's copies among ``entries`` now; mark other nodes' for eviction;
    queued rows are simply dropped."""
    here = node()
    directory = cache_dir()
    for image_id in entries.filter(node=here).values_list("image_id", flat=True):
        directory.remove(image_id)
    entries.filter(node=here).delete()
    entries.filter(state=CacheEntry.QUEUED).delete()
    entries.exclude(node=here).update(state=CacheEntry.EVICT)


def apply_evictions() -> int:
    """This node's share of deletes asked elsewhere (a periodic job), the size limit, and
    what fills that died left half-written."""
    if not enabled():
        return 0
    directory = cache_dir()
    directory.clean()
    evicted = _mine().filter(state=CacheEntry.EVICT)
    count = 0
    for image_id in list(evicted.values_list("image_id", flat=True)):
        directory.remove(image_id)
        count += 1
    evicted.delete()
    files, _ = prune_to_limit()
    return count + files


def prune_to_limit() -> tuple[int, int]:
    """Remove least recently used copies of this node until it holds at most
    ``CATALOG_IMAGE_CACHE_MAX_SIZE`` bytes: (files, bytes) removed."""
    limit = settings.CATALOG_IMAGE_CACHE_MAX_SIZE
    entries = list(
        _mine()
        .filter(state=CacheEntry.CACHED)
        .order_by("last_accessed", "id")
        .values_list("pk", "image_id", "size")
    )
    total = sum(size for _, _, size in entries)
    files = removed = 0
    directory = cache_dir()
    for pk, image_id, size in entries:
        if total <= limit:
            break
        directory.remove(image_id)
        CacheEntry.objects.filter(pk=pk).delete()
        total -= size
        files += 1
        removed += size
    return files, removed


# --- Prefetch ------------------------------------------------------------------------------


def prefetch(open_image: Callable[[Image], object]) -> int:
    """Fetch this node's queued images into its cache (a periodic job of the worker).
    ``open_image`` opens an image's data from its stores. An image that cannot be cached
    (gone, not active, its data not matching it) leaves the queue."""
    if not enabled():
        return 0
    done = 0
    queued = _mine().filter(state=CacheEntry.QUEUED).values_list("image_id", flat=True)
    for image_id in list(queued):
        image = Image.objects.filter(pk=image_id, deleted=False, status=ImageStatus.ACTIVE).first()
        if image is None:
            _mine().filter(image_id=image_id).delete()
            continue
        try:
            done += _prefetch_one(image, open_image)
        except Exception:
            logger.exception("Prefetching image %s into the cache failed", image_id)
    return done


def _prefetch_one(image: Image, open_image: Callable[[Image], object]) -> int:
    directory = cache_dir()
    if directory.has_copy(image.pk, image.size or 0):
        _filled(image, True)
        return 0
    fill = directory.begin_fill(image.pk)
    if fill is None:
        return 0  # a download fills it now
    try:
        source = open_image(image)
    except BaseException:
        fill.abort()
        raise
    reader = TeeReader(source, fill, image.size, image.checksum, lambda kept: _filled(image, kept))
    try:
        for _ in reader:
            pass
    finally:
        reader.close()
    return 1


# --- The API -------------------------------------------------------------------------------


def _check_enabled() -> None:
    if not enabled():
        raise NotFound("Caching via API is not supported at this site.")


def _image(ctx: RequestContext, image_id: str) -> Image:
    return queries.get_visible_image(ctx, image_id, f"Image {image_id} not found.")


def entry_view(entry: CacheEntry) -> dict:
    return {
        "id": entry.pk,
        "image_id": entry.image_id,
        "last_accessed": float(entry.last_accessed),
        "last_modified": float(entry.last_modified),
        "size": entry.size,
        "hits": entry.hits,
        "checksum": None,
    }


def list_cache(ctx: RequestContext) -> dict:
    _check_enabled()
    policy.enforce(ctx, "cache_list")
    cached = CacheEntry.objects.filter(state=CacheEntry.CACHED).order_by("id")
    queued = CacheEntry.objects.filter(state=CacheEntry.QUEUED).order_by("id")
    return {
        "cached_images": [entry_view(e) for e in cached],
        "queued_images": list(dict.fromkeys(queued.values_list("image_id", flat=True))),
    }


def queue_image(
    ctx: RequestContext, image_id: str, open_image: Callable[[Image], object] | None = None
) -> None:
    """``PUT /v2/cache/{id}``: queue an active image for this node's cache. With
    ``open_image`` it is fetched at once in a thread of this process (as Glance's API
    process does); the worker's prefetch takes whatever is still queued."""
    _check_enabled()
    image = _image(ctx, image_id)
    policy.enforce(ctx, "cache_image")
    if image.status != ImageStatus.ACTIVE:
        raise BadRequest("Only images with status active can be targeted for queueing")
    if _mine().filter(image_id=image.pk, state=CacheEntry.CACHED).exists():
        return
    CacheEntry.objects.update_or_create(
        node=node(), image_id=image.pk, defaults={"state": CacheEntry.QUEUED, "size": image.size}
    )
    if open_image is not None:
        transaction.on_commit(lambda: _fetch_in_background(image.pk, open_image))


def _fetch_in_background(image_id: str, open_image: Callable[[Image], object]) -> None:
    def run() -> None:
        try:
            image = Image.objects.filter(
                pk=image_id, deleted=False, status=ImageStatus.ACTIVE
            ).first()
            if image is not None and _mine().filter(image_id=image_id).exists():
                _prefetch_one(image, open_image)
        except Exception:
            logger.exception("Fetching image %s into the cache failed", image_id)
        finally:
            connection.close()

    threading.Thread(target=run, name=f"cache-fetch-{image_id}", daemon=True).start()


def delete_entry(ctx: RequestContext, image_id: str) -> None:
    _check_enabled()
    policy.enforce(ctx, "cache_delete")
    if not ids.is_uuid(image_id):  # never an id the cache holds (nor text PostgreSQL takes)
        raise NotFound(f"Image {image_id} not found.")
    entries = CacheEntry.objects.filter(image_id=image_id)
    if queries.find_image(image_id) is None and not entries.exists():
        raise NotFound(f"Image {image_id} not found.")
    _evict(entries)


def clear(ctx: RequestContext, target: str | None) -> None:
    """``DELETE /v2/cache``: ``cache``, ``queue``, or both (absent, empty or ``both``:
    docs/glance-differences.md#cache-clear-target)."""
    _check_enabled()
    policy.enforce(ctx, "cache_delete")
    target = (target or "").strip().lower()
    if target not in CLEAR_TARGETS:
        raise BadRequest(
            "If provided 'x-image-cache-clear-target' must be 'cache', 'queue', 'both' or "
            "empty string."
        )
    if target in ("", "both", "queue"):
        CacheEntry.objects.filter(state=CacheEntry.QUEUED).delete()
    if target in ("", "both", "cache"):
        _evict(CacheEntry.objects.exclude(state=CacheEntry.QUEUED))


def nodes_of(ctx: RequestContext, image_id: str) -> list[str]:
    _check_enabled()
    _image(ctx, image_id)
    policy.enforce(ctx, "list_cached_nodes")
    rows = CacheEntry.objects.filter(image_id=image_id, state=CacheEntry.CACHED)
    return sorted(rows.values_list("node", flat=True))


def prune(ctx: RequestContext) -> dict:
    _check_enabled()
    policy.enforce(ctx, "cache_prune")
    files, removed = prune_to_limit()
    return {"total_files_pruned": files, "total_bytes_pruned": removed}


def clean(ctx: RequestContext) -> int:
    _check_enabled()
    policy.enforce(ctx, "cache_clean")
    return cache_dir().clean()
