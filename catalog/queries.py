"""Read helpers shared by the API, the UI and the services."""

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from . import policy
from .context import RequestContext
from .exceptions import NotFound
from .models import Image, ImageLocation, ImageProperty, ImageTag


def locations_shown() -> bool:
    """Whether image views carry anything read from locations (direct_url, locations,
    stores): only then are locations fetched."""
    return bool(
        settings.CATALOG_SHOW_IMAGE_DIRECT_URL
        or settings.CATALOG_SHOW_MULTIPLE_LOCATIONS
        or settings.CATALOG_STORES
    )


def images_with_details() -> QuerySet:
    """Images with their tags and properties fetched in two extra queries, whatever the count
    (a third for their locations when those are shown)."""
    lookups = [
        Prefetch("properties", queryset=ImageProperty.objects.only("image_id", "name", "value")),
        Prefetch("tags", queryset=ImageTag.objects.only("image_id", "value")),
    ]
    if locations_shown():
        lookups.append(
            Prefetch("locations", queryset=ImageLocation.objects.filter(status="active"))
        )
    return Image.objects.prefetch_related(*lookups)


def is_lookup_id(value) -> bool:
    """Could ``value`` be a stored id? Longer text, or text with NUL (which PostgreSQL refuses
    in a query: a 500), can only find nothing."""
    return isinstance(value, str) and len(value) <= 36 and "\x00" not in value


def find_image(image_id: str, queryset: QuerySet | None = None) -> Image | None:
    """The live image with this id, or None. Malformed ids simply find nothing (Glance: 404)."""
    if not is_lookup_id(image_id):
        return None
    queryset = images_with_details() if queryset is None else queryset
    return queryset.filter(pk=image_id, deleted=False).first()


def get_visible_image(
    ctx: RequestContext,
    image_id: str,
    message: str | None = None,
    rule: str = "get_image",
    for_update: bool = False,
) -> Image:
    """The image if ``ctx`` may see it and passes ``rule``; 404 otherwise (never leaks).

    ``for_update`` locks the row until the caller's transaction ends.
    """
    message = message or f"No image found with ID {image_id}"
    image = find_image(image_id, images_with_details().select_for_update() if for_update else None)
    if image is None:
        raise NotFound(message)
    policy.enforce_image(ctx, rule, image, message)
    return image
