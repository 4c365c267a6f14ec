"""The configured image stores.

``CATALOG_STORES`` maps store ids to options: ``kind`` (``file``, ``s3``, ``rbd`` or ``http``),
``description``, ``read_only`` and the kind's own options (``path`` and ``direct_io`` for
``file``; ``bucket``, ``endpoint_url``, ``region_name``, ``access_key_id``,
``secret_access_key``, ``prefix``, ``part_size``, ``concurrency``, ``create_bucket`` for
``s3``; ``pool``, ``user``, ``conf_file``, ``keyring``, ``chunk_size``, ``connect_timeout``
for ``rbd``; ``timeout`` for the read-only ``http``), and ``weight`` (the heaviest store
holding an image is read first). ``CATALOG_DEFAULT_STORE`` names the store uploads go to.
Unset, there is one filesystem store, ``local``, under ``CATALOG_STORE_DIR``, and
``CATALOG_HTTP_STORE`` adds the http store ``http`` beside it without making the site a
multi-store one.
"""

import json
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog.data.stores.base import BlobNotFound, Store, StoredBlob, StoreError
from catalog.data.stores.filesystem import FileStore
from catalog.data.stores.http import HttpStore
from catalog.data.stores.rbd import RBDStore
from catalog.data.stores.s3 import S3Store

__all__ = [
    "BlobNotFound",
    "Store",
    "StoreError",
    "StoredBlob",
    "all_stores",
    "default_store",
    "get_store",
    "by_weight",
    "http_store_enabled",
    "multiple_backends",
    "store_for_url",
]

KINDS: dict[str, type[Store]] = {
    "file": FileStore,
    "s3": S3Store,
    "rbd": RBDStore,
    "http": HttpStore,
}
DEFAULT_STORE_ID = "local"
HTTP_STORE_ID = "http"


def store_config() -> tuple[dict, str]:
    """(store id -> options, default store id), with the single-file-store default."""
    stores = settings.CATALOG_STORES or {
        DEFAULT_STORE_ID: {
            "kind": "file",
            "path": str(settings.CATALOG_STORE_DIR),
            "description": "Local filesystem",
        }
    }
    default = settings.CATALOG_DEFAULT_STORE or next(iter(stores))
    if not settings.CATALOG_STORES and settings.CATALOG_HTTP_STORE:
        stores = {**stores, HTTP_STORE_ID: {"kind": "http", "description": "Web servers"}}
    return stores, default


@lru_cache(maxsize=8)
def _build(config_json: str, default: str) -> dict[str, Store]:
    config = json.loads(config_json)
    if not isinstance(config, dict) or not config:
        raise ImproperlyConfigured("CATALOG_STORES must be a non-empty JSON object.")
    if default not in config:
        raise ImproperlyConfigured(f"CATALOG_DEFAULT_STORE={default!r} is not in CATALOG_STORES.")
    built = {}
    for store_id, options in config.items():
        if not isinstance(options, dict):
            raise ImproperlyConfigured(f"CATALOG_STORES[{store_id!r}] must be an object.")
        options = dict(options)
        kind = options.pop("kind", "file")
        if kind not in KINDS:
            raise ImproperlyConfigured(
                f"CATALOG_STORES[{store_id!r}]: unknown kind {kind!r} (use file, s3, rbd or http)."
            )
        try:
            built[store_id] = KINDS[kind](store_id, **options)
        except TypeError as exc:
            raise ImproperlyConfigured(f"CATALOG_STORES[{store_id!r}]: {exc}") from None
    return built


def _stores() -> dict[str, Store]:
    config, default = store_config()
    # Not sorted: the configuration order is the order stores are listed in (as Glance).
    return _build(json.dumps(config, default=str), default)


def all_stores() -> dict[str, Store]:
    return _stores()


def get_store(store_id: str) -> Store | None:
    return _stores().get(store_id)


def default_store() -> Store:
    return _stores()[store_config()[1]]


def store_for_url(url: str) -> Store | None:
    """The configured store a location URL belongs to (None: none does)."""
    return next((s for s in _stores().values() if s.owns(url)), None)


def http_store_enabled() -> bool:
    return any(isinstance(s, HttpStore) for s in _stores().values())


def by_weight(store_ids: list[str]) -> list[str]:
    """Store ids, heaviest first (stable: equal weights keep their order)."""
    built = _stores()
    return sorted(store_ids, key=lambda i: -(built[i].weight if i in built else 0))


def multiple_backends() -> bool:
    """Glance's multi-store mode (``enabled_backends``): on when CATALOG_STORES is set. It
    enables ``X-Image-Meta-Store`` on upload and the ``stores`` attribute of images."""
    return bool(settings.CATALOG_STORES)
