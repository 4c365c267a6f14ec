"""glance-download: finding an image in another region's image service and reading its
record, on the user's behalf (with the user's token, as Glance does).

The other region's endpoint comes from the service catalog: the cloud's Keystone in external
Keystone mode, or ``CATALOG_REMOTE_REGIONS`` when Vitrine is its own identity service (its
tokens are then honoured by image services that use it as their Keystone). Every URL goes
through the web-download filter, whose allow-list opens the regions' hosts.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from catalog import properties as props
from catalog.choices import ContainerFormat, DiskFormat
from catalog.data.fetch import FetchError, open_url
from catalog.domain import images as image_rules
from catalog.exceptions import BadRequest, CatalogError, Conflict

# Properties copied from the remote image (Glance's [glance_download_properties]).
MAX_RECORD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RemoteImage:
    file_url: str
    disk_format: str | None
    container_format: str | None
    properties: dict[str, str]
    size: int | None


def _catalog_endpoint(catalog: list, region: str, interface: str) -> str | None:
    for service in catalog:
        if not isinstance(service, dict) or service.get("type") != "image":
            continue
        for endpoint in service.get("endpoints") or []:
            if not isinstance(endpoint, dict):
                continue
            where = endpoint.get("region_id") or endpoint.get("region")
            if where == region and endpoint.get("interface") == interface:
                return str(endpoint.get("url") or "").rstrip("/") or None
    return None


def image_endpoint(region: str, interface: str, user_catalog: Callable[[], list]) -> str:
    """The base URL of ``region``'s image service (400 when the catalog has none).

    ``user_catalog`` gives the user's service catalog; it is asked only in external Keystone
    mode (the identity layer sits above this one, so the caller passes it in).
    """
    if settings.CATALOG_KEYSTONE_URL:
        url = _catalog_endpoint(user_catalog(), region, interface)
    else:
        url = (settings.CATALOG_REMOTE_REGIONS.get(region) or "").rstrip("/") or None
    if not url:
        raise BadRequest(f"No {interface} image service endpoint for region {region!r}.")
    return url.removesuffix("/v2")


def _copied(record: dict) -> dict[str, str]:
    """The remote properties Glance copies, held to the rules a create would apply here
    (the other region is another site: its data is input like any other)."""
    prefixes = tuple(settings.CATALOG_GLANCE_DOWNLOAD_PROPERTIES)
    copied = {
        k: v
        for k, v in record.items()
        if isinstance(k, str)
        and k.startswith(prefixes)
        and not props.is_base_attribute(k)
        and not props.is_reserved_name(k)
    }
    try:
        for key, value in copied.items():
            image_rules.check_custom_key(key)
            if not isinstance(value, str):
                raise BadRequest(f"Property {key} is not a string.")
            image_rules.check_text(value, "Property values")
        image_rules.check_quota("properties", len(copied), settings.CATALOG_IMAGE_PROPERTY_QUOTA)
    except CatalogError as exc:
        raise Conflict(
            f"The remote image's properties cannot be kept here: {exc.message}"
        ) from None
    return copied


def _format(record: dict, name: str, choices) -> str:
    value = record.get(name)
    if value not in choices:
        raise Conflict(f"The remote image's {name} {value!r} is not one this site accepts.")
    return value


def fetch_record(endpoint: str, image_id: str, user_token: str) -> RemoteImage:
    """The remote image's record; it must be active (409 otherwise, 400 when unreadable)."""
    url = f"{endpoint}/v2/images/{image_id}"
    try:
        download = open_url(
            url,
            max_bytes=MAX_RECORD_BYTES,
            timeout=settings.CATALOG_IMPORT_TIMEOUT,
            headers={"X-Auth-Token": user_token, "Accept": "application/json"},
        )
        record = json.loads(b"".join(download.chunks()))
    except FetchError as exc:
        raise BadRequest(f"The remote image could not be read: {exc}") from None
    except ValueError:
        raise BadRequest(f"The remote image service answered {url} with no JSON.") from None
    if not isinstance(record, dict):
        raise BadRequest(f"The remote image service answered {url} with no image.")
    if record.get("status") != "active":
        raise Conflict(f"Remote image {image_id} is {record.get('status')}, not active.")
    return RemoteImage(
        file_url=f"{endpoint}/v2/images/{image_id}/file",
        disk_format=_format(record, "disk_format", DiskFormat.values),
        container_format=_format(record, "container_format", ContainerFormat.values),
        properties=_copied(record),
        size=record.get("size") if isinstance(record.get("size"), int) else None,
    )
