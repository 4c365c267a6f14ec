"""The wire view of an image (Glance's ``_format_image``).

A plain function rather than a DRF serializer: list pages render up to 1000 images and
this path is the cost that matters (see bench/list.py).
"""

from datetime import UTC

from django.conf import settings

from catalog import queries, stores
from catalog.models import Image
from catalog.properties import HIDDEN_PROPERTIES, VIEW_ORDER

SCHEMA_IMAGE = "/v2/schemas/image"


def isotime(value) -> str | None:
    """Glance's timestamp format: UTC, whole seconds, ``Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def serialize_image(image: Image) -> dict:
    """The image as the API shows it: custom properties first, then the fixed keys."""
    view = {p.name: p.value for p in image.properties.all() if p.name not in HIDDEN_PROPERTIES}
    base = {
        "name": image.name,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "visibility": image.visibility,
        "size": image.size,
        "virtual_size": image.virtual_size,
        "status": image.status,
        "checksum": image.checksum,
        "protected": image.protected,
        "min_ram": image.min_ram,
        "min_disk": image.min_disk,
        "owner": image.owner,
        "os_hidden": image.os_hidden,
        "os_hash_algo": image.os_hash_algo,
        "os_hash_value": image.os_hash_value,
        "id": image.id,
        "created_at": isotime(image.created_at),
        "updated_at": isotime(image.updated_at),
        "tags": [t.value for t in image.tags.all()],
        "self": f"/v2/images/{image.id}",
        "file": f"/v2/images/{image.id}/file",
        "schema": SCHEMA_IMAGE,
    }
    for key in VIEW_ORDER:
        view[key] = base[key]
    if queries.locations_shown():
        add_locations(view, image)
    return view


def add_locations(view: dict, image: Image) -> None:
    """``direct_url`` and ``locations`` (Glance's show_image_direct_url and
    show_multiple_locations, both off by default), and ``stores`` in multi-store mode."""
    locations = [loc for loc in image.locations.all() if loc.status == loc.ACTIVE]
    if settings.CATALOG_SHOW_IMAGE_DIRECT_URL and locations:
        view["direct_url"] = locations[0].url
    if settings.CATALOG_SHOW_MULTIPLE_LOCATIONS:
        view["locations"] = [{"url": loc.url, "metadata": loc.metadata} for loc in locations]
    if stores.multiple_backends() and locations:
        # Glance (multi-store only): the ids of the stores holding the data.
        view["stores"] = ",".join(dict.fromkeys(loc.store for loc in locations))
