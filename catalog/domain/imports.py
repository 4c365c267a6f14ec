"""Pure rules of the interoperable import (``POST /v2/images/{id}/import``), in Glance's order.

No ORM and no I/O: the import service feeds these the request, the image's state and the
configured stores, and acts on what they return or raise.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from catalog.choices import ImageStatus
from catalog.exceptions import BadRequest, Conflict, NotFound

ALL_METHODS = ("glance-direct", "web-download", "copy-image", "glance-download")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")

# A lock held by a task that stopped moving is stale and may be taken over (Glance: 60
# minutes without an update, 120 for a task still pending).
STALE_AFTER = {"pending": timedelta(minutes=120)}
STALE_DEFAULT = timedelta(minutes=60)


@dataclass(frozen=True)
class ImportRequest:
    method: str
    uri: str | None = None
    glance_image_id: str | None = None
    glance_region: str | None = None
    glance_service_interface: str = "public"
    stores: list[str] | None = None
    all_stores: bool = False
    all_stores_must_succeed: bool = True
    raw: dict = field(default_factory=dict)


def parse_import_request(body, enabled_methods) -> ImportRequest:
    """Steps 1-3 and 6 of Glance's validation: the body alone."""
    if not isinstance(body, dict):
        raise BadRequest("Import request body must be a JSON object.")
    method = body.get("method")
    if method is None:
        raise BadRequest("Import request requires a 'method' field.")
    if not isinstance(method, dict):
        raise BadRequest("Import request 'method' must be an object.")
    name = method.get("name")
    if name is None:
        raise BadRequest("Import request requires a 'name' field.")
    if not isinstance(name, str) or name not in enabled_methods:
        raise BadRequest(f"Unknown import method name '{name}'.")
    for flag in ("all_stores_must_succeed", "all_stores"):
        if flag in body and not isinstance(body[flag], bool):
            raise BadRequest(f"'{flag}' must be boolean value only")
    stores = body.get("stores")
    if stores is not None and (
        not isinstance(stores, list) or not all(isinstance(s, str) and s for s in stores)
    ):
        raise BadRequest("'stores' must be a list of store identifiers.")
    request = ImportRequest(
        method=name,
        uri=method.get("uri"),
        glance_image_id=method.get("glance_image_id"),
        glance_region=method.get("glance_region"),
        glance_service_interface=method.get("glance_service_interface") or "public",
        stores=stores,
        all_stores=body.get("all_stores", False),
        all_stores_must_succeed=body.get("all_stores_must_succeed", True),
        raw=body,
    )
    if name == "web-download" and not isinstance(request.uri, str):
        raise BadRequest("'uri' needs to be set for web-download import method")
    if name == "glance-download":
        if not request.glance_region:
            raise BadRequest("'glance_region' needs to be set for glance-download import method")
        # A list or an object here reached the region table as a key: a TypeError, a 500.
        for field in ("glance_region", "glance_service_interface"):
            if not isinstance(getattr(request, field), str):
                raise BadRequest(f"'{field}' must be a string.")
        if not request.glance_image_id:
            raise BadRequest("'glance_image_id' needs to be set for glance-download import method")
        if not isinstance(request.glance_image_id, str) or not _UUID.match(request.glance_image_id):
            raise BadRequest(
                f"Remote image id does not look like a UUID: {request.glance_image_id}"
            )
    return request


def check_image_state(request: ImportRequest, status: str, disk_format, container_format) -> None:
    """Step 5: the image must be in the state the method needs (409 otherwise)."""
    method = request.method
    if method == "copy-image":
        if status != ImageStatus.ACTIVE:
            raise Conflict("Only images with status active can be targeted for copying")
        return
    if status == ImageStatus.ACTIVE:
        raise Conflict(f"Image with status {status} cannot be target for import")
    if method == "glance-direct" and status != ImageStatus.UPLOADING:
        raise Conflict("Image needs to be staged before 'glance-direct' method can be used")
    if method in ("web-download", "glance-download") and status != ImageStatus.QUEUED:
        raise Conflict(f"Image needs to be in 'queued' state to use '{method}' method")
    if method == "glance-download":
        return  # the formats come from the remote image
    if not container_format:
        raise Conflict("'container_format' needs to be set before import")
    if not disk_format:
        raise Conflict("'disk_format' needs to be set before import")


def target_stores(
    request: ImportRequest,
    header_store: str | None,
    writable_stores: list[str],
    default_store: str,
    present_in: list[str],
) -> list[str]:
    """Step 9-10: which stores the import writes to.

    ``writable_stores`` are the configured stores that accept data, in configuration order;
    ``present_in`` the stores already holding the image (copy-image).
    """
    multi = len(writable_stores) > 1
    if request.all_stores and (request.stores or header_store):
        raise BadRequest(
            "All_stores parameter can't be used with x-image-meta-store header or stores parameter"
        )
    if request.stores and header_store:
        raise BadRequest("Stores parameter and x-image-meta-store header can't be both specified")
    if not request.all_stores_must_succeed and not multi:
        raise BadRequest("All_stores_must_succeed can only be set with multiple stores enabled")
    if request.all_stores:
        targets = list(writable_stores)
    elif request.stores:
        targets = list(dict.fromkeys(request.stores))
    elif header_store:
        targets = [header_store]
    else:
        targets = [default_store]
    for store in targets:
        if store not in writable_stores:
            raise Conflict(f"Store {store} is not available on this site.")
    if request.method == "copy-image":
        if request.all_stores:
            targets = [s for s in targets if s not in present_in]
        else:
            for store in targets:
                if store in present_in:
                    raise BadRequest(f"Image is already present at store '{store}'")
    return targets


def lock_is_stale(task_status: str | None, task_updated_at: datetime | None, now: datetime) -> bool:
    """May a new import take over the lock held by this task? (Step 8.)"""
    if task_status is None or task_updated_at is None:
        return True  # the task is gone
    if task_status not in ("pending", "processing", "success", "failure"):
        return True
    return now - task_updated_at >= STALE_AFTER.get(task_status, STALE_DEFAULT)


def method_not_available(method: str) -> NotFound:
    return NotFound(f"'{method}' method is not available at this site.")
