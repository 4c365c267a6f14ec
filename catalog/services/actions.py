"""Image actions: deactivate and reactivate (``POST /v2/images/{id}/actions/...``)."""

from django.db import transaction

from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.exceptions import Forbidden, InvalidTransition
from catalog.models import Image
from catalog.services import cache, events
from catalog.services.images import lock_image_for, transition

# action -> (rule, status it leaves, status it reaches)
ACTIONS = {
    "deactivate": ("deactivate", ImageStatus.ACTIVE, ImageStatus.DEACTIVATED),
    "reactivate": ("reactivate", ImageStatus.DEACTIVATED, ImageStatus.ACTIVE),
}


def _perform(ctx: RequestContext, image_id: str, action: str) -> Image:
    rule, source, target = ACTIONS[action]
    with transaction.atomic():
        image = lock_image_for(ctx, image_id, rule, not_found=f"No image found with ID {image_id}")
        if image.status == target:
            return image  # Glance: a repeated action is a no-op 204
        if image.status != source:
            # 403, not 409, as Glance (docs/glance-differences.md#action-status-errors).
            raise Forbidden(f"Not allowed to {action} image in status '{image.status}'")
        try:
            transition(image, target)
        except InvalidTransition:
            raise Forbidden(f"Not allowed to {action} image in status '{image.status}'") from None
        # Glance sends image.update for both actions; the record names the action.
        events.image(
            ctx, "image.update", image, changes={"status": [source, target]}, action=action
        )
        return image


def deactivate(ctx: RequestContext, image_id: str) -> Image:
    """Make an active image's data unavailable to everyone but admins (its cached copies
    go: a download of it never uses the cache)."""
    image = _perform(ctx, image_id, "deactivate")
    cache.forget_image(image.pk)
    return image


def reactivate(ctx: RequestContext, image_id: str) -> Image:
    """Make a deactivated image active again."""
    return _perform(ctx, image_id, "reactivate")
