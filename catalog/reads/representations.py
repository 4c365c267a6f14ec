"""The wire view of an image (Glance's ``_format_image``).

Plain functions rather than DRF serializers: list pages render up to 1000 images and this
path is the cost that matters (see bench/list.py). Lists never build model instances: they
read column values, properties and tags as tuples (three queries per page, whatever its size).
"""

from collections import defaultdict
from datetime import UTC

from django.conf import settings

from catalog.data import stores
from catalog.models import Image, ImageLocation, ImageProperty, ImageTag
from catalog.properties import HIDDEN_PROPERTIES, VIEW_ORDER
from catalog.reads import queries

SCHEMA_IMAGE = "/v2/schemas/image"
# The image columns the view shows, in Glance's key order (after the custom properties);
# created_at, updated_at, tags, self, file and schema follow, as in VIEW_ORDER.
VIEW_COLUMNS = VIEW_ORDER[: VIEW_ORDER.index("id") + 1]
LIST_COLUMNS = (*VIEW_COLUMNS, "created_at", "updated_at")


def isotime(value) -> str | None:
    """Glance's timestamp format: UTC, whole seconds, ``Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_view(columns, properties, tags: list[str]) -> dict:
    """The view from a mapping of column values, (name, value) property pairs and tags."""
    view = {name: value for name, value in properties if name not in HIDDEN_PROPERTIES}
    for name in VIEW_COLUMNS:
        view[name] = columns[name]
    image_id = columns["id"]
    view["created_at"] = isotime(columns["created_at"])
    view["updated_at"] = isotime(columns["updated_at"])
    view["tags"] = tags
    view["self"] = f"/v2/images/{image_id}"
    view["file"] = f"/v2/images/{image_id}/file"
    view["schema"] = SCHEMA_IMAGE
    return view


def serialize_image(image: Image) -> dict:
    """The image as the API shows it: custom properties first, then the fixed keys."""
    properties = ((p.name, p.value) for p in image.properties.all())
    view = image_view(image.__dict__, properties, [t.value for t in image.tags.all()])
    if queries.locations_shown():
        add_locations(view, [loc for loc in image.locations.all() if loc.status == loc.ACTIVE])
    return view


def add_locations(view: dict, locations: list[ImageLocation]) -> None:
    """``direct_url`` and ``locations`` (Glance's show_image_direct_url and
    show_multiple_locations, both off by default), and ``stores`` in multi-store mode."""
    if settings.CATALOG_SHOW_IMAGE_DIRECT_URL and locations:
        view["direct_url"] = locations[0].url
    if settings.CATALOG_SHOW_MULTIPLE_LOCATIONS:
        view["locations"] = [{"url": loc.url, "metadata": loc.metadata} for loc in locations]
    if stores.multiple_backends() and locations:
        # Glance (multi-store only): the ids of the stores holding the data.
        view["stores"] = ",".join(dict.fromkeys(loc.store for loc in locations))


def serialize_rows(rows: list[dict]) -> list[dict]:
    """Views of ``LIST_COLUMNS`` rows, with their properties and tags in two queries (and
    their locations in a third when those are shown)."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    properties = defaultdict(list)
    for image_id, name, value in ImageProperty.objects.filter(image_id__in=ids).values_list(
        "image_id", "name", "value"
    ):
        properties[image_id].append((name, value))
    tags = defaultdict(list)
    for image_id, value in ImageTag.objects.filter(image_id__in=ids).values_list(
        "image_id", "value"
    ):
        tags[image_id].append(value)
    views = [image_view(row, properties[row["id"]], tags[row["id"]]) for row in rows]
    if queries.locations_shown():
        locations = defaultdict(list)
        active = ImageLocation.objects.filter(image_id__in=ids, status=ImageLocation.ACTIVE)
        for location in active.order_by("id"):
            locations[location.image_id].append(location)
        for view in views:
            add_locations(view, locations[view["id"]])
    return views
