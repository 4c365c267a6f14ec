"""The one-attribute write the approval workflow needs: changing an image's visibility.

Deliberately minimal: ``PATCH /v2/images/{id}`` has its own service (``update_image``), which
applies the same two checks (``modify_image`` on the image, then the visibility's own rule).
"""

from django.db import transaction
from django.utils import timezone

from catalog.choices import Visibility
from catalog.context import RequestContext
from catalog.exceptions import BadRequest
from catalog.models import Image
from catalog.reads import queries
from catalog.services import events
from catalog.services.images import enforce_visibility_change


def set_visibility(ctx: RequestContext, image_id: str, visibility: str) -> Image:
    """Set ``visibility`` on a live image, as ``ctx`` (publishing needs ``publicize_image``)."""
    if visibility not in Visibility.values:
        raise BadRequest(f"Invalid visibility value: {visibility}")
    with transaction.atomic():
        image = queries.get_visible_image(ctx, image_id, rule="modify_image", for_update=True)
        enforce_visibility_change(ctx, visibility)
        if image.visibility != visibility:
            changes = {"visibility": [image.visibility, visibility]}
            image.visibility = visibility
            image.updated_at = timezone.now()
            image.save(update_fields=["visibility", "updated_at"])
            events.image(ctx, "image.update", image, changes=changes)
    return image
