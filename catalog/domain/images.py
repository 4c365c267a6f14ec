"""Pure catalog rules: no ORM, no I/O. Services call these and persist the outcome."""

from dataclasses import dataclass, field
from functools import cache

import jsonschema

from catalog import properties as props
from catalog.choices import ImageStatus as S
from catalog.exceptions import BadRequest, Forbidden, InvalidTransition, RequestEntityTooLarge

# --- Status transitions (Glance's valid_state_targets) -----------------------------------

TRANSITIONS: dict[str, frozenset[str]] = {
    S.QUEUED: frozenset({S.SAVING, S.UPLOADING, S.IMPORTING, S.ACTIVE, S.DELETED}),
    S.SAVING: frozenset({S.ACTIVE, S.KILLED, S.DELETED, S.QUEUED}),
    S.UPLOADING: frozenset({S.IMPORTING, S.QUEUED, S.DELETED}),
    S.IMPORTING: frozenset({S.ACTIVE, S.DELETED, S.QUEUED}),
    S.ACTIVE: frozenset({S.PENDING_DELETE, S.DELETED, S.DEACTIVATED}),
    S.KILLED: frozenset({S.DELETED}),
    S.PENDING_DELETE: frozenset({S.DELETED, S.ACTIVE}),
    S.DELETED: frozenset(),
    S.DEACTIVATED: frozenset({S.ACTIVE, S.DELETED}),
}

# Leaving these states for one of the data-bearing ones needs both formats set.
_NEEDS_FORMATS_FROM = frozenset({S.QUEUED, S.UPLOADING})
_NEEDS_FORMATS_TO = frozenset({S.SAVING, S.ACTIVE, S.IMPORTING})

# What an image loses when it goes back to queued: nothing half-written survives a failed
# upload (Glance keeps hashes and data after a failed inspection:
# docs/glance-differences.md#failed-upload).
DATA_FIELDS_CLEARED_ON_QUEUED = (
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
)


def check_transition(
    current: str, target: str, disk_format: str | None, container_format: str | None
) -> None:
    """Raise unless the image may move from ``current`` to ``target``."""
    if target not in TRANSITIONS.get(current, ()):
        raise InvalidTransition(
            f"Image status transition from {current} to {target} is not allowed"
        )
    if current in _NEEDS_FORMATS_FROM and target in _NEEDS_FORMATS_TO:
        if not (disk_format and container_format):
            raise BadRequest(
                "Properties disk_format, container_format must be set prior to saving data."
            )


# --- Input text rules --------------------------------------------------------------------


def check_text(value: str, what: str) -> None:
    """Refuse text the databases cannot store faithfully.

    NUL is rejected by PostgreSQL (a 500 if it got that far); 4-byte characters are refused
    as Glance does (its MySQL heritage), so that images move between deployments intact.
    """
    if "\x00" in value:
        raise BadRequest(f"{what} can't contain NUL characters.")
    if any(ord(ch) > 0xFFFF for ch in value):
        raise BadRequest(f"{what} can't contain 4 byte unicode characters.")


# --- Image create ------------------------------------------------------------------------


@dataclass
class NewImage:
    """A validated create request, split into columns, tags and custom properties."""

    fields: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


@cache
def _image_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(props.image_schema())


def schema_error_message(error: jsonschema.ValidationError) -> str:
    return f"Provided object does not match schema 'image': {error.message}"


def validate_against_schema(document: dict) -> None:
    error = jsonschema.exceptions.best_match(_image_validator().iter_errors(document))
    if error is not None:
        raise BadRequest(schema_error_message(error))


def check_attribute_access(name: str, *, creating: bool) -> None:
    """403 for read-only and reserved names, with Glance's messages."""
    if props.is_reserved_name(name):
        raise Forbidden(f"Attribute '{name}' is reserved.")
    attribute = props.ATTRIBUTES.get(name)
    if attribute is None:
        return
    if attribute.access == props.READ_ONLY or (
        attribute.access == props.CREATE_ONLY and not creating
    ):
        raise Forbidden(f"Attribute '{name}' is read-only.")


def check_db_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        return  # the schema reports type errors
    if value < 0:
        raise BadRequest(
            f"Invalid value '{value}' for parameter '{name}': Cannot be a negative value"
        )
    if value > props.MAX_DB_INT:
        raise BadRequest(f"'{name}' value out of range, must not exceed {props.MAX_DB_INT}.")


def check_custom_key(key: str) -> None:
    if len(key) > 255:
        raise BadRequest("Custom property should not be greater than 255 characters.")
    if not key:
        raise BadRequest("Custom property names can't be empty.")
    check_text(key, "Property names")


def unique_tags(tags: list[str]) -> list[str]:
    """Tags are a set on the wire; we keep first-seen order
    (docs/glance-differences.md#tag-order)."""
    return list(dict.fromkeys(tags))


def check_quota(kind: str, attempted: int, maximum: int) -> None:
    """Glance's per-image quotas (properties, tags, members); negative means unlimited."""
    if 0 <= maximum < attempted:
        raise RequestEntityTooLarge(
            f"The limit has been exceeded on the number of allowed image {kind}. "
            f"Attempted: {attempted}, Maximum: {maximum}"
        )


def count_user_properties(names) -> int:
    """Properties counted against the quota: the server's own os_glance_* keys are not."""
    return sum(1 for name in names if not name.startswith(props.RESERVED_PREFIX))


def validate_new_image(body, *, property_quota: int, tag_quota: int) -> NewImage:
    """Check a ``POST /v2/images`` body and split it. Raises 400/403/413 as Glance does."""
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object.")
    for key in body:
        check_attribute_access(key, creating=True)
    for key, value in body.items():
        if not props.is_base_attribute(key):
            check_custom_key(key)
        if isinstance(value, str):
            check_text(value, "Property values" if key != "name" else "Name")
    validate_against_schema(body)
    for attribute in props.BASE_ATTRIBUTES:
        if attribute.db_int and attribute.name in body:
            check_db_int(attribute.name, body[attribute.name])

    new = NewImage()
    for key, value in body.items():
        if key == "tags":
            for tag in value:
                check_text(tag, "Tags")
            new.tags = unique_tags(value)
        elif props.is_base_attribute(key):
            new.fields[key] = value
        else:
            # A typed property may be null by its schema; Glance renders None as "".
            new.extra[key] = "" if value is None else value
    check_quota("properties", count_user_properties(new.extra), property_quota)
    check_quota("tags", len(new.tags), tag_quota)
    return new
