"""Removing stored data: for deleted images, and for ``manage.py scrub_images``."""

import logging

from django.db import transaction
from django.utils import timezone

from catalog.data import stores
from catalog.models import Image, ImageLocation

logger = logging.getLogger(__name__)


def mark_for_deletion(image: Image) -> None:
    """Flag the image's copies for removal, in the transaction that deletes the image: if
    the process dies before the stores are called, the scrubber still finds them."""
    image.locations.filter(status=ImageLocation.ACTIVE).update(
        status=ImageLocation.PENDING_DELETE, updated_at=timezone.now()
    )


def remove_pending(locations) -> tuple[int, int]:
    """Delete the blobs of ``pending_delete`` locations; a row goes once its blob is gone.

    Returns (removed, failed). A failure keeps the row for the next scrub.
    """
    removed = failed = 0
    for location in locations:
        store = stores.get_store(location.store)
        if store is None:
            logger.error(
                "Location %s names store %r, which is not configured", location.pk, location.store
            )
            failed += 1
            continue
        try:
            store.delete(location.url)
        except stores.BlobNotFound:
            pass  # already gone: nothing left to do
        except stores.StoreError as exc:
            logger.warning("Store %s could not delete %s: %s", store.id, location.url, exc)
            failed += 1
            continue
        with transaction.atomic():
            ImageLocation.objects.filter(pk=location.pk).delete()
        removed += 1
    return removed, failed


def remove_image_data(image: Image) -> None:
    """After an image is deleted: remove its blobs now, leaving failures to the scrubber."""
    pending = ImageLocation.objects.filter(image=image, status=ImageLocation.PENDING_DELETE)
    remove_pending(list(pending))
