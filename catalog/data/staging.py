"""The staging area of interoperable import (Glance's ``node_staging_uri`` /
``os_glance_staging_store``): where ``PUT /stage`` and the download step of web-download put
data before an import task writes it to the stores. One blob per image, keyed by its id.

It is a filesystem store of its own, never listed among the user-visible stores.
"""

import logging
from functools import lru_cache

from django.conf import settings

from catalog.data.stores import BlobNotFound, StoreError
from catalog.data.stores.filesystem import FileStore

STAGING_STORE_ID = "os_glance_staging_store"
logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _store(path: str) -> FileStore:
    # No O_DIRECT: staged data is read back at once by the import task.
    return FileStore(STAGING_STORE_ID, path=path, direct_io=False, description="Staging area")


def staging_store() -> FileStore:
    return _store(str(settings.CATALOG_STAGING_DIR))


def staged_url(image_id: str) -> str:
    store = staging_store()
    return store.url_for(store.path_for(image_id))


def has_staged_data(image_id: str) -> bool:
    return staging_store().path_for(image_id).exists()


def discard(image_id: str) -> None:
    """Remove an image's staged data and any half-written leftover of it (a worker that was
    killed mid-write); never raises for a missing blob. Call it only when no writer of this
    image's staging data is running."""
    store = staging_store()
    try:
        store.remove_temporaries_of(image_id)
        store.delete(staged_url(image_id))
    except BlobNotFound:
        pass
    except (StoreError, OSError):
        # Left for scrub_images, which removes staged data no import needs.
        logger.exception("Could not remove the staged data of image %s", image_id)
