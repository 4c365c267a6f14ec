"""Metadata definitions (metadefs): the rules, without the ORM.

The ten ``/v2/schemas/metadefs/*`` documents are served byte for byte as Glance publishes them
(``metadef_schemas/``) and are also the first validators of request bodies; the checks after
them close the gaps where Glance stores something it cannot serve or answers 500
(docs/glance-differences.md#metadef-malformed-input).
"""

import json
import re
from functools import cache
from pathlib import Path

import jsonschema

from catalog.exceptions import BadRequest, Forbidden, NotFound

DOCUMENTS = (
    "namespace",
    "namespaces",
    "resource_type",
    "resource_types",
    "property",
    "properties",
    "object",
    "objects",
    "tag",
    "tags",
)
_SCHEMA_DIR = Path(__file__).with_name("metadef_schemas")

VISIBILITIES = ("public", "private")
PROPERTY_TYPES = ("array", "boolean", "integer", "number", "object", "string")
# The order of a property definition's keys on the wire (unset ones are omitted).
PROPERTY_KEYS = (
    "name",
    "type",
    "title",
    "description",
    "operators",
    "default",
    "readonly",
    "minimum",
    "maximum",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "items",
    "uniqueItems",
    "minItems",
    "maxItems",
    "additionalItems",
    "required",
)
READ_ONLY = ("self", "schema", "created_at", "updated_at")
NAMESPACE_SORT_KEYS = (
    "namespace",
    "display_name",
    "created_at",
    "updated_at",
    "visibility",
    "protected",
    "owner",
    "description",
)
TAG_SORT_KEYS = ("name", "created_at", "updated_at")


@cache
def schema_bytes(name: str) -> bytes:
    """The published document, byte for byte."""
    return (_SCHEMA_DIR / f"{name}.json").read_bytes()


@cache
def schema_document(name: str) -> dict:
    return json.loads(schema_bytes(name))


# The bulk tag body has no published document: an array of {"name"} objects.
TAGS_BODY_SCHEMA = {
    "type": "object",
    "properties": {
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string", "maxLength": 80}},
                "required": ["name"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["tags"],
}


def _validate(document: dict, body, label: str) -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft4Validator(document).iter_errors(body))
    if error is not None:
        where = "".join(f"/{p}" for p in error.absolute_path)
        details = f"at {where}" if where else ""
        raise BadRequest(
            f"Provided object does not match schema '{label}': {error.message}", details=details
        )


def check_body(kind: str, body) -> dict:
    """Glance's order: an object body, then read-only keys (403), then the document (400)."""
    if not isinstance(body, dict):
        # Glance answers 500 to a JSON array (docs/glance-differences.md#metadef-malformed-input).
        raise BadRequest("Unexpected body type. Expected list/dict.")
    for key in READ_ONLY:
        if key in body:
            raise Forbidden(f"Attribute '{key}' is read-only.")
    if kind == "tags":
        _validate(TAGS_BODY_SCHEMA, body, "tags")
    else:
        document = schema_document(kind)
        _validate(document, body, document["name"])
    return body


def check_name(value: str, what: str) -> str:
    """Names are URL segments: an empty one could never be read or deleted again."""
    if not value:
        raise BadRequest(f"The {what} name may not be empty.")
    if "/" in value:
        raise BadRequest(f"The {what} name may not contain '/'.")
    return value


# --- Property definitions ---------------------------------------------------------------


def _fits(kind: str | None, value) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _check_pairs(name: str, definition: dict) -> None:
    for low, high in (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems")):
        if low in definition and high in definition and definition[low] > definition[high]:
            raise BadRequest(
                f"Property '{name}': '{low}' ({definition[low]}) is greater than "
                f"'{high}' ({definition[high]})."
            )


def _check_typed(name: str, definition: dict) -> None:
    kind = definition["type"]
    for item in definition.get("enum", []):
        if not _fits(kind, item):
            raise BadRequest(f"Property '{name}': enum item {item!r} is not of type '{kind}'.")
    if "default" in definition and not _fits(kind, definition["default"]):
        raise BadRequest(
            f"Property '{name}': default {definition['default']!r} is not of type '{kind}'."
        )
    if "enum" in definition and "default" in definition:
        if definition["default"] not in definition["enum"]:
            raise BadRequest(f"Property '{name}': default is not one of its enum values.")
    items = definition.get("items")
    if items is not None:
        if items.get("type") not in PROPERTY_TYPES:
            raise BadRequest(f"Property '{name}': 'items' needs a 'type' among {PROPERTY_TYPES}.")
        for item in items.get("enum", []):
            if not _fits(items["type"], item):
                raise BadRequest(
                    f"Property '{name}': items enum {item!r} is not of type '{items['type']}'."
                )
    if "pattern" in definition:
        try:
            re.compile(definition["pattern"])
        except re.error as exc:
            raise BadRequest(f"Property '{name}': 'pattern' is not a valid regex: {exc}.") from None


def clean_property(name: str, definition, *, where: str = "property") -> dict:
    """A property definition checked against the published ``property`` document and our
    stricter rules; returns the definition without its name, keys in wire order, values as
    given (Glance truncates numbers and stringifies defaults:
    docs/glance-differences.md#metadef-values)."""
    if not isinstance(definition, dict):
        raise BadRequest(f"Property '{name}': a definition must be a JSON object.")
    _validate(schema_document("property"), {**definition, "name": name}, where)
    check_name(name, "property")
    if definition.get("type") not in PROPERTY_TYPES:
        raise BadRequest(f"Property '{name}': 'type' must be one of {list(PROPERTY_TYPES)}.")
    _check_typed(name, definition)
    _check_pairs(name, definition)
    return {key: definition[key] for key in PROPERTY_KEYS if key in definition and key != "name"}


def clean_properties(properties, *, where: str, path: str = "/properties") -> dict:
    """Property definitions keyed by name; an error's details give its JSON path."""
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise BadRequest(f"'properties' of {where} must be a JSON object.", details=f"at {path}")
    cleaned = {}
    for name, definition in properties.items():
        try:
            cleaned[name] = clean_property(name, definition, where="property")
        except BadRequest as exc:
            inner = exc.details.removeprefix("at ")
            detail = f"at {path}/{name}{inner}"
            raise BadRequest(exc.message, details=detail) from None
    return cleaned


def clean_object(body: dict, path: str = "") -> dict:
    """An object body (already checked against the ``object`` document)."""
    name = check_name(body["name"], "object")
    properties = clean_properties(
        body.get("properties"), where=f"object '{name}'", path=f"{path}/properties"
    )
    required = list(body.get("required") or [])
    return {
        "name": name,
        "description": body.get("description"),
        "required": required,
        "properties": properties,
    }


def clean_association(body) -> dict:
    check_body("resource_type", body)
    return {
        "name": check_name(body["name"], "resource type"),
        "prefix": body.get("prefix"),
        "properties_target": body.get("properties_target"),
    }


def clean_namespace(body: dict, default_visibility: str | None = "private") -> dict:
    """A namespace body for create or update: scalar attributes and the inline children
    (each validated as if sent to its own route, so none makes the call fail later)."""
    check_body("namespace", body)
    check_name(body["namespace"], "namespace")
    associations = [clean_association(a) for a in body.get("resource_type_associations", [])]
    objects = [
        clean_object(check_body("object", o), f"/objects/{i}")
        for i, o in enumerate(body.get("objects", []))
    ]
    tags = [check_name(t.get("name", ""), "tag") for t in body.get("tags", [])]
    return {
        "namespace": body["namespace"],
        "display_name": body.get("display_name"),
        "description": body.get("description"),
        "visibility": body.get("visibility", default_visibility),
        "protected": body.get("protected", False),
        "owner": body.get("owner"),
        "associations": associations,
        "properties": clean_properties(body.get("properties"), where="the namespace"),
        "objects": objects,
        "tags": tags,
    }


def clean_namespace_file(document) -> dict:
    """A namespace file in the format of Glance's ``db_load_metadefs`` (the API's create
    body, ``owner`` optional): its ``visibility`` is None when the file has none."""
    if not isinstance(document, dict):
        raise BadRequest("A namespace file must hold one JSON object.", details="at /")
    return clean_namespace(check_body("namespace", document), default_visibility=None)


def file_document(namespace: dict) -> dict:
    """The inverse of ``clean_namespace_file``: a cleaned namespace as a file document."""
    out = {"namespace": namespace["namespace"]}
    for key in ("display_name", "description", "visibility"):
        if namespace.get(key) is not None:
            out[key] = namespace[key]
    out["protected"] = namespace["protected"]
    if namespace.get("owner") is not None:
        out["owner"] = namespace["owner"]
    if namespace["associations"]:
        out["resource_type_associations"] = [
            {k: v for k, v in a.items() if v is not None} for a in namespace["associations"]
        ]
    if namespace["properties"]:
        out["properties"] = namespace["properties"]
    if namespace["objects"]:
        out["objects"] = [
            {k: v for k, v in o.items() if v not in (None, [], {}) or k == "name"}
            for o in namespace["objects"]
        ]
    if namespace["tags"]:
        out["tags"] = [{"name": t} for t in namespace["tags"]]
    return out


# --- Prefixes -----------------------------------------------------------------------------


def strip_prefix(name: str, prefix: str | None) -> str:
    """A property name as addressed through a resource type's prefix, without it."""
    if not prefix:
        return name
    if not name.startswith(prefix):
        raise NotFound(
            f"Property {name} does not start with the expected resource type association "
            f"prefix of '{prefix}'."
        )
    return name[len(prefix) :]


# --- List parameters ----------------------------------------------------------------------


def parse_limit(raw: str | None, *, default: int | None, maximum: int) -> int | None:
    """``limit``: a non-negative integer (Glance answers 500 to ``abc``)."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Invalid limit value: {raw}") from None
    if value < 0:
        raise BadRequest("limit param must be positive")
    return min(value, maximum)


def parse_sort_dir(raw: str | None) -> str:
    value = "desc" if raw is None else raw
    if value not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {value}")
    return value


def parse_sort_key(raw: str | None, allowed: tuple, default: str) -> str:
    value = default if raw is None else raw
    if value not in allowed:
        # Glance answers 500 to an unknown column (docs/glance-differences.md#metadef-malformed-input).
        raise BadRequest(f"Invalid sort key: {value}. Use one of {', '.join(allowed)}.")
    return value


def parse_visibility(raw: str | None) -> str | None:
    if raw is not None and raw not in VISIBILITIES:
        raise BadRequest(f"Invalid visibility value: {raw}")
    return raw


def is_true(raw: str | None) -> bool:
    """``X-Openstack-Append``: oslo's true strings, case-insensitive."""
    return (raw or "").strip().lower() in ("1", "t", "true", "on", "y", "yes")


# --- Values against definitions (the metadata editor, CATALOG_ENFORCE_METADEFS) -----------


def coerce_value(definition: dict, raw: str):
    """An image property value (always text) read as the definition's type; raises
    ValueError with the rule when it does not read as one."""
    kind = definition.get("type")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ValueError("must be an integer") from None
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
    if kind == "boolean":
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValueError("must be true or false")
    if kind == "array":
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def value_error(definition: dict, raw: str) -> str | None:
    """Why ``raw`` breaks ``definition``, or None when it fits."""
    try:
        value = coerce_value(definition, raw)
    except ValueError as exc:
        return str(exc)
    enum = definition.get("enum")
    if enum and value not in enum:
        return "must be one of " + ", ".join(str(v) for v in enum)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in definition and value < definition["minimum"]:
            return f"must be at least {definition['minimum']}"
        if "maximum" in definition and value > definition["maximum"]:
            return f"must be at most {definition['maximum']}"
    if isinstance(value, str):
        return _string_error(definition, value)
    if isinstance(value, list):
        return _array_error(definition, value)
    return None


def _string_error(definition: dict, value: str) -> str | None:
    if "minLength" in definition and len(value) < definition["minLength"]:
        return f"must be at least {definition['minLength']} characters long"
    if "maxLength" in definition and len(value) > definition["maxLength"]:
        return f"must be at most {definition['maxLength']} characters long"
    if "pattern" in definition and not re.search(definition["pattern"], value):
        return f"must match the pattern {definition['pattern']}"
    return None


def _array_error(definition: dict, value: list) -> str | None:
    allowed = (definition.get("items") or {}).get("enum")
    if allowed:
        for item in value:
            if item not in allowed:
                return f"items must be among {', '.join(str(v) for v in allowed)}"
    if definition.get("uniqueItems") and len(set(value)) != len(value):
        return "items must be unique"
    if "minItems" in definition and len(value) < definition["minItems"]:
        return f"must have at least {definition['minItems']} items"
    if "maxItems" in definition and len(value) > definition["maxItems"]:
        return f"must have at most {definition['maxItems']} items"
    return None


def property_violation(definitions: dict, properties: dict) -> str | None:
    """The first value of ``properties`` (name -> text) that breaks its definition, as a
    message naming the namespace and the rule. ``definitions`` maps a prefixed property name
    to ``(namespace, definition)``."""
    for name in sorted(properties):
        if name not in definitions or properties[name] is None:
            continue
        namespace, definition = definitions[name]
        rule = value_error(definition, str(properties[name]))
        if rule:
            return (
                f"Property {name}={properties[name]!r} breaks its definition in namespace "
                f"{namespace}: it {rule}."
            )
    return None
