"""The one table of image attributes.

Create validation, PATCH rules, the serialized view, ``/v2/schemas/image`` and the list
filters and sort keys all read this table, so the lists can never drift apart (in Glance
they live in five places and do drift: docs/glance-differences.md#internal-keys).
"""

from dataclasses import dataclass, field

from catalog.choices import ContainerFormat, DiskFormat, ImageStatus, Visibility

UUID_PATTERN = (
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)
MAX_DB_INT = 2**31 - 1
# The largest value of a BigIntegerField (size, virtual_size, quota limits).
MAX_DB_BIGINT = 2**63 - 1

# How a caller may touch an attribute.
WRITABLE = "writable"  # create and PATCH
CREATE_ONLY = "create_only"  # create only (id)
READ_ONLY = "read_only"  # 403 "Attribute 'x' is read-only."
RESERVED = "reserved"  # 403 "Attribute 'x' is reserved."


@dataclass(frozen=True)
class Attribute:
    name: str
    schema: dict
    access: str = WRITABLE
    sortable: bool = False
    # How a list filter on this attribute reads its value (None: not a column filter).
    #   "op"    -> [eq:|in:]value            "exact" -> column equality
    #   "bool"  -> true|false                "time"  -> [gt|gte|lt|lte|eq|neq:]ISO8601
    filter: str | None = None
    # Only admins may change it (Glance: owner). Non-admin changes are refused, not saved.
    admin_only: bool = False
    # Integer attributes with a database range (Glance's _validate_db_int).
    db_int: bool = False
    # Published in /v2/schemas/image.
    published: bool = True
    extra: dict = field(default_factory=dict)


def _enum(values, nullable=False):
    values = list(values)
    return [None, *values] if nullable else values


BASE_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "id",
        {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
        access=CREATE_ONLY,
        sortable=True,
        filter="op",
    ),
    Attribute(
        "name",
        {
            "type": ["null", "string"],
            "description": "Descriptive name for the image",
            "maxLength": 255,
        },
        sortable=True,
        filter="op",
    ),
    Attribute(
        "status",
        {
            "type": "string",
            "readOnly": True,
            "description": "Status of the image",
            "enum": _enum(ImageStatus.values),
        },
        access=READ_ONLY,
        sortable=True,
        filter="op",
    ),
    Attribute(
        "visibility",
        {
            "type": "string",
            "description": "Scope of image accessibility",
            "enum": _enum(Visibility.values),
        },
    ),
    Attribute(
        "protected",
        {"type": "boolean", "description": "If true, image will not be deletable."},
        filter="bool",
    ),
    Attribute(
        "os_hidden",
        {
            "type": "boolean",
            "description": "If true, image will not appear in default image list response.",
        },
    ),
    Attribute(
        "checksum",
        {
            "type": ["null", "string"],
            "readOnly": True,
            "description": "md5 hash of image contents.",
            "maxLength": 32,
        },
        access=READ_ONLY,
        filter="exact",
    ),
    Attribute(
        "os_hash_algo",
        {
            "type": ["null", "string"],
            "readOnly": True,
            "description": "Algorithm to calculate the os_hash_value",
            "maxLength": 64,
        },
        access=READ_ONLY,
        filter="exact",
    ),
    Attribute(
        "os_hash_value",
        {
            "type": ["null", "string"],
            "readOnly": True,
            "description": "Hexdigest of the image contents using the algorithm specified by "
            "the os_hash_algo",
            "maxLength": 128,
        },
        access=READ_ONLY,
        filter="exact",
    ),
    Attribute(
        "owner",
        {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
        admin_only=True,
        filter="exact",
    ),
    Attribute(
        "size",
        {
            "type": ["null", "integer"],
            "readOnly": True,
            "description": "Size of image file in bytes",
        },
        access=READ_ONLY,
        sortable=True,
        filter="exact",
    ),
    Attribute(
        "virtual_size",
        {
            "type": ["null", "integer"],
            "readOnly": True,
            "description": "Virtual size of image in bytes",
        },
        access=READ_ONLY,
        filter="exact",
    ),
    Attribute(
        "container_format",
        {
            "type": ["null", "string"],
            "description": "Format of the container",
            "enum": _enum(ContainerFormat.values, nullable=True),
        },
        sortable=True,
        filter="op",
    ),
    Attribute(
        "disk_format",
        {
            "type": ["null", "string"],
            "description": "Format of the disk",
            "enum": _enum(DiskFormat.values, nullable=True),
        },
        sortable=True,
        filter="op",
    ),
    Attribute(
        "created_at",
        {
            "type": "string",
            "readOnly": True,
            "description": "Date and time of image registration",
        },
        access=READ_ONLY,
        sortable=True,
        filter="time",
    ),
    Attribute(
        "updated_at",
        {
            "type": "string",
            "readOnly": True,
            "description": "Date and time of the last image modification",
        },
        access=READ_ONLY,
        sortable=True,
        filter="time",
    ),
    Attribute(
        "tags",
        {
            "type": "array",
            "description": "List of strings related to the image",
            "items": {"type": "string", "maxLength": 255},
        },
    ),
    Attribute(
        "direct_url",
        {
            "type": "string",
            "readOnly": True,
            "description": "URL to access the image file kept in external store",
        },
        access=READ_ONLY,
    ),
    Attribute(
        "min_ram",
        {"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
        db_int=True,
        filter="exact",
    ),
    Attribute(
        "min_disk",
        {"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
        db_int=True,
        filter="exact",
    ),
    Attribute(
        "self",
        {"type": "string", "readOnly": True, "description": "An image self url"},
        access=READ_ONLY,
    ),
    Attribute(
        "file",
        {"type": "string", "readOnly": True, "description": "An image file url"},
        access=READ_ONLY,
    ),
    Attribute(
        "stores",
        {
            "type": "string",
            "readOnly": True,
            "description": "Store in which image data resides.  Only present when the operator "
            "has enabled multiple stores.  May be a comma-separated list of store identifiers.",
        },
        access=READ_ONLY,
    ),
    Attribute(
        "schema",
        {"type": "string", "readOnly": True, "description": "An image schema url"},
        access=READ_ONLY,
    ),
    Attribute(
        "locations",
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "maxLength": 255},
                    "metadata": {"type": "object"},
                    "validation_data": {
                        "description": "Values to be used to populate the corresponding image "
                        "properties. If the image status is not 'queued', values must exactly "
                        "match those already contained in the image properties.",
                        "type": "object",
                        "writeOnly": True,
                        "additionalProperties": False,
                        "properties": {
                            "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                            "os_hash_algo": {"type": "string", "maxLength": 64},
                            "os_hash_value": {"type": "string", "maxLength": 128},
                        },
                        "required": ["os_hash_algo", "os_hash_value"],
                    },
                },
                "required": ["url", "metadata"],
            },
            "description": "A set of URLs to access the image file kept in external store",
        },
        # Location management is off (Glance's show_multiple_locations=False default).
        access=RESERVED,
    ),
)

# Names that are never user properties although they are not published attributes:
# Glance's reserved words, and internal keys that its PATCH lets through
# (docs/glance-differences.md#internal-keys).
UNPUBLISHED = (
    Attribute("location", {}, access=RESERVED, published=False),
    Attribute("deleted", {}, access=RESERVED, published=False),
    Attribute("deleted_at", {}, access=RESERVED, published=False),
    Attribute("image_id", {}, access=READ_ONLY, published=False),
    Attribute("member", {}, access=READ_ONLY, published=False),
    Attribute("extra_properties", {}, access=READ_ONLY, published=False),
)

# The typed custom properties of Glance's shipped schema-image.json: stored as custom
# properties, but validated like base attributes and published in the schema.
TYPED_PROPERTIES: dict[str, dict] = {
    "kernel_id": {
        "type": ["null", "string"],
        "pattern": UUID_PATTERN,
        "description": "ID of image stored in Glance that should be used as the kernel when "
        "booting an AMI-style image.",
        "is_base": False,
    },
    "ramdisk_id": {
        "type": ["null", "string"],
        "pattern": UUID_PATTERN,
        "description": "ID of image stored in Glance that should be used as the ramdisk when "
        "booting an AMI-style image.",
        "is_base": False,
    },
    "instance_uuid": {
        "type": "string",
        "description": "Metadata which can be used to record which instance this image is "
        "associated with. (Informational only, does not create an instance snapshot.)",
        "is_base": False,
    },
    "architecture": {
        "description": "Operating system architecture as specified in "
        "https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
        "type": "string",
        "is_base": False,
    },
    "os_distro": {
        "description": "Common name of operating system distribution as specified in "
        "https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
        "type": "string",
        "is_base": False,
    },
    "os_version": {
        "description": "Operating system version as specified by the distributor.",
        "type": "string",
        "is_base": False,
    },
    "description": {
        "description": "A human-readable string describing this image.",
        "type": "string",
        "is_base": False,
    },
    "cinder_encryption_key_id": {
        "description": "Identifier in the OpenStack Key Management Service for the encryption "
        "key for the Block Storage Service to use when mounting a volume created from this image",
        "type": "string",
        "is_base": False,
    },
    "cinder_encryption_key_deletion_policy": {
        "description": "States the condition under which the Image Service will delete the "
        "object associated with the 'cinder_encryption_key_id' image property.  If this property "
        "is missing, the Image Service will take no action",
        "type": "string",
        "enum": ["on_image_deletion", "do_not_delete"],
        "is_base": False,
    },
}

# The server-owned namespace (Glance's GLANCE_RESERVED_NS).
RESERVED_PREFIX = "os_glance"
# Server-owned properties that are never shown to callers.
HIDDEN_PROPERTIES = frozenset({"os_glance_stage_host", "os_glance_hash_op_host"})

ATTRIBUTES: dict[str, Attribute] = {a.name: a for a in (*BASE_ATTRIBUTES, *UNPUBLISHED)}
SORT_KEYS: tuple[str, ...] = tuple(a.name for a in BASE_ATTRIBUTES if a.sortable)

# Key order of the serialized image, after the custom properties (Glance's _format_image).
VIEW_ORDER = (
    "name",
    "disk_format",
    "container_format",
    "visibility",
    "size",
    "virtual_size",
    "status",
    "checksum",
    "protected",
    "min_ram",
    "min_disk",
    "owner",
    "os_hidden",
    "os_hash_algo",
    "os_hash_value",
    "id",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
)


def is_base_attribute(name: str) -> bool:
    return name in ATTRIBUTES


def is_reserved_name(name: str) -> bool:
    attribute = ATTRIBUTES.get(name)
    if attribute is not None:
        return attribute.access == RESERVED
    return name.startswith(RESERVED_PREFIX)


def image_schema() -> dict:
    """The JSON schema of an image, as ``GET /v2/schemas/image`` publishes it."""
    properties = {a.name: a.schema for a in BASE_ATTRIBUTES if a.published}
    properties.update(TYPED_PROPERTIES)
    return {
        "name": "image",
        "properties": properties,
        "additionalProperties": {"type": "string"},
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }
