"""Removing one stored copy of an image (``DELETE /v2/stores/{store_id}/{image_id}``)."""

from django.db import transaction

from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.data import stores
from catalog.exceptions import Conflict, Forbidden, NotFound
from catalog.models import ImageLocation
from catalog.services import events, image_data
from catalog.services.images import lock_image_for


def delete_from_store(ctx: RequestContext, store_id: str, image_id: str) -> None:
    """Remove the copy of ``image_id`` kept in ``store_id`` (admin, as Glance's policy)."""
    store = stores.get_store(store_id)
    if store is None:
        raise Conflict(f"The selected store {store_id} is not available on this node.")
    with transaction.atomic():
        image = lock_image_for(
            ctx, image_id, "delete_image_location", not_found=f"Failed to find image {image_id}"
        )
        if image.status != ImageStatus.ACTIVE:
            raise Conflict(
                "It's not allowed to remove image data from store if image status is not 'active'"
            )
        copies = list(image.locations.filter(status=ImageLocation.ACTIVE))
        here = [c for c in copies if c.store == store_id]
        # Glance checks "only store" before "not stored there"; we check where the copy is
        # first (docs/glance-differences.md#store-copy-delete-order).
        if not here:
            raise NotFound(f"Image {image_id} is not stored in store {store_id}.")
        if len(copies) == len(here):
            raise Forbidden(
                "Cannot delete image data from the only store containing it. "
                "Consider deleting the image instead."
            )
        urls = [c.url for c in here]
        ImageLocation.objects.filter(pk__in=[c.pk for c in here]).delete()
        events.image(ctx, "image.update", image, changes={"stores": [store_id, None]})
    for url in urls:
        image_data.discard_blob(store, url)
