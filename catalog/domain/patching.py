"""Glance's JSON Patch for images, as pure rules (no ORM, no I/O).

Glance's patch is not RFC 6902 (docs/glance-differences.md#json-patch): two media types
with two document shapes, only add/remove/replace, one-segment paths, ``add`` as an upsert
(v2.1) or a conflict (v2.0), 403 for removing a base attribute and 409 for a missing
property. So we parse the operations ourselves and only use ``jsonpointer`` to decode
escapes; ``JsonPatch.apply`` would get every one of those rules wrong.

``parse_patch`` checks the whole document first (400 and the read-only/reserved 403s, as
Glance's deserializer does), then ``apply_patch`` applies the changes in order to a copy of
the image state, so a failing change leaves nothing half-applied.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from jsonpointer import JsonPointer, JsonPointerException

from catalog import properties as props
from catalog.choices import ImageStatus
from catalog.domain import images as image_rules
from catalog.domain import locations as location_rules
from catalog.exceptions import BadRequest, Conflict, Forbidden

PATCH_V20 = "application/openstack-images-v2.0-json-patch"
PATCH_V21 = "application/openstack-images-v2.1-json-patch"
PATCH_MEDIA_TYPES = (PATCH_V20, PATCH_V21)
OPERATIONS = ("add", "remove", "replace")
_OPERATION_LIST = ", ".join(OPERATIONS)
# Formats describe data that is not there yet: they may change only before it is.
FORMAT_EDITABLE_STATUSES = frozenset({ImageStatus.QUEUED, ImageStatus.IMPORTING})


@dataclass(frozen=True)
class Change:
    """One operation: ``name`` is the decoded attribute or property the path points at."""

    op: str
    path: str
    name: str
    value: Any = None
    # The second segment of /locations/<index|-> (add and remove of a location).
    index: str | None = None


@dataclass
class ImageState:
    """What a patch may change: base columns, custom properties and tags."""

    fields: dict[str, Any]
    extra: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def copy(self) -> "ImageState":
        return replace(self, fields=dict(self.fields), extra=dict(self.extra), tags=list(self.tags))


# --- Parsing --------------------------------------------------------------------------------


def parse_patch(document, media_type: str, *, manage_locations: bool = False) -> list[Change]:
    """The checked changes of a patch document sent as ``media_type``. ``manage_locations``
    (CATALOG_SHOW_MULTIPLE_LOCATIONS) enables the legacy ``/locations`` operations, which
    the services apply (``catalog.services.locations.apply_legacy``)."""
    if not isinstance(document, list):
        raise BadRequest("Request body must be a JSON array of operation objects.")
    read = _read_v20 if media_type == PATCH_V20 else _read_v21
    changes = []
    for operation in document:
        if not isinstance(operation, dict):
            raise BadRequest("Operations must be JSON objects.")
        op, path = read(operation)
        if op in ("add", "replace") and "value" not in operation:
            raise BadRequest(f'Operation "{op}" requires a member named "value".')
        parts = _path_parts(op, path)
        index = parts[1] if len(parts) > 1 else None
        change = Change(op, path, parts[0], operation.get("value"), index)
        if change.name == "locations" and manage_locations:
            if op != "remove":
                location_rules.parse_legacy_value(op, change.value)
        else:
            _check_change(change)
        changes.append(change)
    return changes


def _read_v21(operation: dict) -> tuple[str, Any]:
    if "op" not in operation:
        raise BadRequest(
            "Unable to find `op` in JSON Schema change. "
            f"It must be one of the following: {_OPERATION_LIST}."
        )
    op = operation["op"]
    if op not in OPERATIONS:
        raise BadRequest(
            f"Invalid operation: `{op}`. It must be one of the following: {_OPERATION_LIST}."
        )
    if "path" not in operation:
        raise BadRequest("Unable to find 'path' in JSON Schema change")
    return op, operation["path"]


def _read_v20(operation: dict) -> tuple[str, Any]:
    """The draft-04 form: ``{"replace": "/name", "value": ...}``."""
    present = [op for op in OPERATIONS if op in operation]
    if not present:
        raise BadRequest(
            'Operation objects must contain exactly one member named "add", "remove", or "replace".'
        )
    if len(present) > 1:
        raise BadRequest(
            'Operation objects must contain only one member named "add", "remove", or "replace".'
        )
    return present[0], operation[present[0]]


def _path_parts(op: str, path) -> list[str]:
    """Check the pointer's syntax and depth; its decoded segments."""
    if not isinstance(path, str):
        raise BadRequest(f"Invalid JSON pointer for this resource: '{path}'")
    if not path.startswith("/"):
        raise BadRequest(f'Pointer `{path}` does not start with "/".')
    if "//" in path:
        raise BadRequest(f'Pointer `{path}` contains adjacent "/".')
    if len(path) > 1 and path.endswith("/"):
        raise BadRequest(f'Pointer `{path}` end with "/".')
    try:
        parts = [part.strip() for part in JsonPointer(path).parts]
    except JsonPointerException:
        raise BadRequest(
            f'Pointer `{path}` contains "~" not part of a recognized escape sequence.'
        ) from None
    # Only locations has a second level (/locations/<index|->, for add and remove).
    depth = 2 if parts[0] == "locations" and op in ("add", "remove") else 1
    if len(parts) != depth or not parts[0]:
        raise BadRequest(f"Invalid JSON pointer for this resource: '{path}'")
    return parts


def _check_change(change: Change) -> None:
    """What Glance's deserializer refuses before anything is applied."""
    name = change.name
    if name == "locations":
        _refuse_locations(change)
    image_rules.check_attribute_access(name, creating=False)
    if change.op == "remove":
        return
    value = change.value
    if not props.is_base_attribute(name):
        image_rules.check_custom_key(name)
    image_rules.validate_against_schema({name: value})
    if isinstance(value, str):
        image_rules.check_text(value, "Name" if name == "name" else "Property values")
    if name == "tags":
        for tag in value:
            image_rules.check_text(tag, "Tags")
    attribute = props.ATTRIBUTES.get(name)
    if attribute is not None and attribute.db_int:
        image_rules.check_db_int(name, value)


def _refuse_locations(change: Change) -> None:
    """Location management is off (Glance's show_multiple_locations=False default), so every
    locations operation is refused with Glance's messages."""
    if change.op == "replace":
        if change.value == []:
            raise Forbidden("Cannot set locations to empty list.")
        raise Forbidden("It's not allowed to update locations if locations are invisible.")
    verb = "add" if change.op == "add" else "remove"
    raise Forbidden(f"It's not allowed to {verb} locations if locations are invisible.")


# --- Applying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchRules:
    """What the caller may do, decided by policy before the patch is applied."""

    v20: bool = False
    may_change_owner: bool = False
    # Raises when the caller may not give the image this visibility (publicize_image, ...).
    check_visibility: Callable[[str], None] = lambda visibility: None
    property_quota: int = -1
    tag_quota: int = -1


def apply_patch(state: ImageState, changes: list[Change], rules: PatchRules) -> ImageState:
    """The image state after ``changes``, applied in order to a copy of ``state``."""
    new = state.copy()
    for change in changes:
        if props.is_base_attribute(change.name):
            _apply_to_attribute(new, change, rules)
        else:
            _apply_to_property(new, change, rules)
    return new


def _apply_to_attribute(state: ImageState, change: Change, rules: PatchRules) -> None:
    name, value = change.name, change.value
    if change.op == "remove":
        raise Forbidden(f"Property {name} may not be removed.")
    if change.op == "add" and rules.v20:
        # Draft-04 add means "create": a base attribute always exists already.
        raise Conflict(f"Property {name} already present.")
    if props.ATTRIBUTES[name].admin_only and not rules.may_change_owner:
        # For add as for replace: Glance checks only replace and commits an owner change
        # made with add by any member (docs/glance-differences.md#owner-change).
        raise Forbidden("Owner can't be updated by non admin.")
    if name == "visibility":
        rules.check_visibility(value)
    if name in ("disk_format", "container_format"):
        if state.fields["status"] not in FORMAT_EDITABLE_STATUSES:
            raise Forbidden(f"Attribute {name} can be only replaced for a queued image.")
    if name == "tags":
        state.tags = image_rules.unique_tags(value)
        image_rules.check_quota("tags", len(state.tags), rules.tag_quota)
        return
    state.fields[name] = value


def _apply_to_property(state: ImageState, change: Change, rules: PatchRules) -> None:
    name = change.name
    exists = name in state.extra
    if change.op == "add" and exists and rules.v20:
        raise Conflict(f"Property {name} already present.")
    if change.op in ("replace", "remove") and not exists:
        raise Conflict(f"Property {name} does not exist.")
    if change.op == "remove":
        del state.extra[name]
        return
    # A typed property may be null by its schema; Glance stores and renders it as "".
    state.extra[name] = "" if change.value is None else change.value
    if not exists:
        count = image_rules.count_user_properties(state.extra)
        image_rules.check_quota("properties", count, rules.property_quota)


# --- Building patches (forms: the admin and the HTML catalog) --------------------------------


def pointer(name: str) -> str:
    """The JSON pointer of a top-level attribute or property (RFC 6901 escapes)."""
    return "/" + name.replace("~", "~0").replace("/", "~1")


def form_patch(replace: dict[str, Any], remove: Iterable[str] = ()) -> list[Change]:
    """The checked changes that set ``replace`` (attributes and properties, v2.1 upserts)
    and remove the properties ``remove``: forms edit through the same rules as PATCH."""
    document = [{"op": "add", "path": pointer(k), "value": v} for k, v in replace.items()]
    document += [{"op": "remove", "path": pointer(name)} for name in remove]
    return parse_patch(document, PATCH_V21)
