"""The configured image stores.

``CATALOG_STORES`` maps store ids to options: ``kind`` (``file`` or ``s3``), ``description``,
``read_only`` and the kind's own options (``path`` and ``direct_io`` for ``file``; ``bucket``,
``endpoint_url``, ``region_name``, ``access_key_id``, ``secret_access_key``, ``prefix``,
``part_size``, ``concurrency``, ``create_bucket`` for ``s3``). ``CATALOG_DEFAULT_STORE`` names the store uploads go to.
Unset, there is one filesystem store, ``local``, under ``CATALOG_STORE_DIR``.
"""

import json
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog.data.stores.base import BlobNotFound, Store, StoredBlob, StoreError
from catalog.data.stores.filesystem import FileStore
from catalog.data.stores.s3 import S3Store

__all__ = [
    "BlobNotFound",
    "Store",
    "StoreError",
    "StoredBlob",
    "all_stores",
    "default_store",
    "get_store",
    "multiple_backends",
]

KINDS: dict[str, type[Store]] = {"file": FileStore, "s3": S3Store}
DEFAULT_STORE_ID = "local"


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
                f"CATALOG_STORES[{store_id!r}]: unknown kind {kind!r} (use file or s3)."
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


def multiple_backends() -> bool:
    """Glance's multi-store mode (``enabled_backends``): on when CATALOG_STORES is set. It
    enables ``X-Image-Meta-Store`` on upload and the ``stores`` attribute of images."""
    return bool(settings.CATALOG_STORES)
