"""The OpenAPI 3 description (drf-spectacular): components, authentication schemes and the
per-view annotations shared by the API views.

The image components are generated from the property table, like ``/v2/schemas/image``, so
the published description cannot drift from validation. The others (import, discovery,
errors) have fixed shapes (tests/data/seed_components.json), declared here once for the
views that answer them.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from catalog import properties as props
from catalog.domain import patching
from catalog.reads import filters


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# --- Image components, from the property table ----------------------------------------------

# Formats the Glance schema does not state.
FORMATS = {
    "id": "uuid",
    "created_at": "date-time",
    "updated_at": "date-time",
    "self": "uri",
    "file": "uri",
    "schema": "uri",
    "direct_url": "uri",
}
# The view omits ``stores`` (multi-store deployments only).
IMAGE_VIEW_OMITS = ("stores",)
IMAGE_REQUIRED = (
    "id",
    "status",
    "visibility",
    "protected",
    "tags",
    "created_at",
    "updated_at",
    "self",
    "schema",
)
# What a create body may set besides custom properties (Glance's api-ref).
IMAGE_CREATE_FIELDS = (
    "id",
    "name",
    "container_format",
    "disk_format",
    "min_disk",
    "min_ram",
    "protected",
    "tags",
    "visibility",
)
CUSTOM_PROPERTIES = {"description": "Additional custom properties", "type": "string"}


def openapi_fragment(schema: dict, *, nullable: bool = True) -> dict:
    """A JSON Schema (draft 4) fragment as OpenAPI 3.0: ``["null", T]`` becomes ``T`` with
    ``nullable``, and ``null`` leaves enums."""
    result: dict = {}
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0]
        if nullable and "null" in schema["type"]:
            result["nullable"] = True
    if "description" in schema:
        result["description"] = schema["description"]
    if "enum" in schema:
        result["enum"] = [v for v in schema["enum"] if v is not None]
    if kind is not None:
        result["type"] = kind
    for key in ("maxLength", "minLength", "pattern"):
        if key in schema:
            result[key] = schema[key]
    if "items" in schema:
        result["items"] = openapi_fragment(schema["items"], nullable=nullable)
    if "properties" in schema:
        result["properties"] = {
            name: openapi_fragment(value, nullable=nullable)
            for name, value in schema["properties"].items()
        }
    return result


def _attribute_schema(attribute: props.Attribute, *, view: bool) -> dict:
    schema = openapi_fragment(attribute.schema, nullable=view)
    if attribute.name in FORMATS:
        schema["format"] = FORMATS[attribute.name]
    if view and (attribute.access != props.WRITABLE or attribute.admin_only):
        schema["readOnly"] = True
    return schema


def image_component() -> dict:
    attributes = [
        a for a in props.BASE_ATTRIBUTES if a.published and a.name not in IMAGE_VIEW_OMITS
    ]
    properties = {a.name: _attribute_schema(a, view=True) for a in attributes}
    # Locations are shown read-only (location management is off) and hold URLs.
    properties["locations"]["readOnly"] = True
    properties["locations"]["items"]["properties"] = {
        "url": {"type": "string", "format": "uri"},
        "metadata": {"type": "object"},
    }
    return {
        "type": "object",
        "required": list(IMAGE_REQUIRED),
        "properties": properties,
        "additionalProperties": CUSTOM_PROPERTIES,
    }


def image_create_component() -> dict:
    properties = {
        name: _attribute_schema(props.ATTRIBUTES[name], view=False) for name in IMAGE_CREATE_FIELDS
    }
    return {"type": "object", "properties": properties, "additionalProperties": CUSTOM_PROPERTIES}


def image_list_component() -> dict:
    def uri(text):
        return {"type": "string", "format": "uri", "description": text}

    return {
        "type": "object",
        "properties": {
            "images": {"type": "array", "items": ref("Image")},
            "first": uri("URI for the first page of response"),
            "next": uri("URI for the next page of response"),
            "schema": uri("URL for the schema describing a list of images"),
        },
    }


def json_patch_operation_component() -> dict:
    return {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {
                "type": "string",
                "enum": list(patching.OPERATIONS),
                "description": "The operation to perform",
            },
            "path": {
                "type": "string",
                "description": "JSON pointer to the location in the target document",
            },
            "value": {"description": "The value to use for the operation"},
        },
        "additionalProperties": False,
    }


# --- Components of other resources (fixed shapes) --------------------------------------------


def _limit_usage() -> dict:
    return {
        "type": "object",
        "properties": {"limit": {"type": "integer"}, "usage": {"type": "integer"}},
    }


OTHER_COMPONENTS = {
    "ImageImport": {
        "type": "object",
        "required": ["method"],
        "properties": {
            "method": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {
                        "type": "string",
                        "description": "Import method name",
                        "enum": ["glance-direct", "web-download", "copy-image", "glance-download"],
                    },
                    "uri": {
                        "type": "string",
                        "format": "uri",
                        "description": "URI for web-download method",
                    },
                    "glance_image_id": {
                        "type": "string",
                        "format": "uuid",
                        "description": "Image ID for glance-download method",
                    },
                    "glance_region": {
                        "type": "string",
                        "description": "Region for glance-download method",
                    },
                    "glance_service_interface": {
                        "type": "string",
                        "description": "Service interface for glance-download method",
                    },
                },
            },
            "stores": {
                "type": "array",
                "items": {"type": "string"},
                "description": "List of store identifiers to import to",
            },
            "all_stores": {"type": "boolean", "description": "Import to all available stores"},
            "all_stores_must_succeed": {
                "type": "boolean",
                "description": "Whether all stores must succeed for the operation to succeed",
            },
        },
    },
    "ImportInfo": {
        "type": "object",
        "properties": {
            "import-methods": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "type": {"type": "string"},
                    "value": {"type": "array", "items": {"type": "string"}},
                },
            }
        },
    },
    "StoreInfo": {
        "type": "object",
        "properties": {
            "stores": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "Store identifier"},
                        "description": {"type": "string", "description": "Store description"},
                        "default": {
                            "type": "boolean",
                            "description": "Whether this is the default store",
                        },
                        "read-only": {
                            "type": "boolean",
                            "description": "Whether this store is read-only",
                        },
                    },
                },
            }
        },
    },
    "UsageInfo": {
        "type": "object",
        "properties": {
            "usage": {
                "type": "object",
                "properties": {
                    name: _limit_usage()
                    for name in (
                        "image_size_total",
                        "image_count_total",
                        "image_stage_total",
                        "image_count_uploading",
                    )
                },
            }
        },
    },
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "integer"},
                    "message": {"type": "string"},
                    "details": {"type": "string"},
                },
            }
        },
    },
}


def components() -> dict:
    """Every component schema we publish."""
    return {
        "schemas": {
            "ImageCreate": image_create_component(),
            "Image": image_component(),
            "ImageList": image_list_component(),
            "JsonPatchOperation": json_patch_operation_component(),
            **OTHER_COMPONENTS,
        }
    }


def add_components(result, generator, request, public):
    """drf-spectacular post-processing hook: publish our components (a hook rather than the
    APPEND_COMPONENTS setting, which would import the catalog while settings load)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(components()["schemas"])
    return result


# --- Helpers for view annotations ------------------------------------------------------------


def errors(*codes: int) -> dict:
    """Error responses in the envelope, for ``extend_schema(responses=...)``."""
    return {code: OpenApiResponse(ref("Error"), description="Error") for code in codes}


def query(
    name: str, description: str, kind=str, *, refuses_empty: bool = False, **kwargs
) -> OpenApiParameter:
    """A query parameter. ``refuses_empty``: the server answers 400 to ``?name=``, so the
    document says so (``minLength: 1``) rather than letting clients and fuzzers think an
    empty value is allowed."""
    if refuses_empty:
        kind = {"type": "string", "minLength": 1}
        if kwargs.pop("many", False):  # drf-spectacular builds arrays of basic types only
            kind = {"type": "array", "items": kind}
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description, **kwargs)


def _refuses_empty(image_filter) -> bool:
    """Which filters answer 400 to an empty value (catalog/reads/filters.py parses them)."""
    if isinstance(image_filter, filters.ExactFilter):
        return image_filter.integer
    return isinstance(
        image_filter, filters.BooleanFilter | filters.TimeFilter | filters.RangeFilter
    )


_FILTER_HELP = {
    filters.ValueOpFilter: "[eq:]value or in:v1,v2,... (items may be double-quoted)",
    filters.TimeFilter: "[gt|gte|lt|lte|eq|neq:]ISO 8601 time",
    filters.RangeFilter: "Inclusive bound (integer)",
    filters.BooleanFilter: "true or false",
    filters.TagFilter: "Tag the image must carry (repeatable: all must match)",
}


def list_parameters() -> list[OpenApiParameter]:
    """The query parameters of ``GET /v2/images``: paging and sorting, then every filter of
    ``ImageFilterSet``."""
    control = [
        query("limit", "Page size (default 25, at most 1000)", int),
        query("marker", "Id of the last image of the previous page", refuses_empty=True),
        query("sort", "key[:asc|desc],... (not with sort_key/sort_dir)", refuses_empty=True),
        query("sort_key", "Sort key (repeatable)", many=True, refuses_empty=True),
        query("sort_dir", "asc or desc (repeatable)", many=True, refuses_empty=True),
        query("member_status", "pending, accepted (default), rejected or all", refuses_empty=True),
        query("visibility", "public, private, shared, community or all", refuses_empty=True),
    ]
    image_filters = [
        query(
            name,
            _FILTER_HELP.get(type(f), "Exact match"),
            many=isinstance(f, filters.TagFilter),
            refuses_empty=_refuses_empty(f),
        )
        for name, f in filters.ImageFilterSet.base_filters.items()
    ]
    return control + image_filters


class DocumentSchema(AutoSchema):
    """How the API's viewsets are described. Every response is one JSON object (a list's
    items sit under a key: "images", "members", ...), whereas drf-spectacular takes a
    viewset's ``list`` action to answer a bare array and would wrap its schema in one."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "catalog.api.authentication.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "catalog.api.authentication.SessionContextAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
