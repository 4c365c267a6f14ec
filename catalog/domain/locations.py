"""Rules of image locations (pure): the ``POST /v2/images/{id}/locations`` body, validation
data, who may see location URLs, and the legacy PATCH location value.

Messages are Glance's (glance-wave2 section 2); where Glance is inconsistent we pick one
answer and say so in docs/glance-differences.md.
"""

import hashlib
import string
from dataclasses import dataclass

from catalog.exceptions import BadRequest, Conflict

HASH_ALGORITHMS = ("sha1", "sha256", "sha512", "md5")
MAX_HASH_VALUE = 128
_HEX = frozenset(string.hexdigits)
LOCATION_IMPORT = "location_import"


@dataclass(frozen=True)
class ValidationData:
    os_hash_algo: str
    os_hash_value: str
    checksum: str | None = None

    def as_dict(self) -> dict:
        data = {"os_hash_algo": self.os_hash_algo, "os_hash_value": self.os_hash_value}
        if self.checksum:
            data["checksum"] = self.checksum
        return data


def _schema_error(schema: str, why: str) -> BadRequest:
    return BadRequest(f"Provided object does not match schema '{schema}': {why}")


def _check_no_nul(value, schema: str) -> None:
    """NUL in any string of a location (its URL, its metadata): refused here, as no database
    stores it faithfully (PostgreSQL refuses it in text and JSON)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise _schema_error(schema, "strings may not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_no_nul(key, schema)
            _check_no_nul(item, schema)
    elif isinstance(value, list):
        for item in value:
            _check_no_nul(item, schema)


def parse_new_location(body) -> tuple[str, ValidationData | None]:
    """The body of ``POST /locations``: ``url`` and optional ``validation_data``. Unknown
    top-level keys are refused (docs/glance-differences.md#location-api-input)."""
    if not isinstance(body, dict):
        raise _schema_error("location", f"{body!r} is not of type 'object'")
    _check_no_nul(body, "location")
    extra = sorted(set(body) - {"url", "validation_data"})
    if extra:
        raise _schema_error("location", f"Additional properties are not allowed ({extra[0]!r})")
    if "url" not in body:
        raise _schema_error("location", "'url' is a required property")
    url = body["url"]
    if not isinstance(url, str):
        raise _schema_error("location", f"{url!r} is not of type 'string'")
    if not url or len(url) > 2048:
        raise _schema_error("location", "'url' must be 1 to 2048 characters")
    data = body.get("validation_data", {})
    if data is None or not isinstance(data, dict):
        raise _schema_error("location", f"{data!r} is not of type 'object'")
    return url, _validation_data(data, "location", allow_checksum=False)


def _validation_data(data: dict, schema: str, *, allow_checksum: bool) -> ValidationData | None:
    allowed = {"os_hash_algo", "os_hash_value"} | ({"checksum"} if allow_checksum else set())
    extra = sorted(set(data) - allowed)
    if extra:
        raise _schema_error(schema, f"Additional properties are not allowed ({extra[0]!r})")
    if not data:
        return None
    for key, other in (("os_hash_algo", "os_hash_value"), ("os_hash_value", "os_hash_algo")):
        if key in data and other not in data:
            raise _schema_error(schema, f"'{other}' is a dependency of '{key}'")
    if "os_hash_algo" not in data:
        raise _schema_error(schema, "'os_hash_algo' is a required property")
    algo, value = data["os_hash_algo"], data["os_hash_value"]
    if algo not in HASH_ALGORITHMS:
        raise _schema_error(schema, f"{algo!r} is not one of {list(HASH_ALGORITHMS)}")
    if not isinstance(value, str) or len(value) > MAX_HASH_VALUE:
        raise _schema_error(schema, f"{value!r} is not a string of at most 128 characters")
    checksum = data.get("checksum")
    if checksum is not None and (not isinstance(checksum, str) or len(checksum) != 32):
        raise _schema_error(schema, f"{checksum!r} is not 32 characters long")
    return ValidationData(algo, value, checksum)


def check_hash_value(data: ValidationData) -> None:
    """Hex and the digest size of its algorithm (400, on both location APIs:
    docs/glance-differences.md#location-validation-status)."""
    value = data.os_hash_value
    if not value or not set(value) <= _HEX:
        raise BadRequest(f"os_hash_value ({value}) is not a valid hexadecimal value")
    size = hashlib.new(data.os_hash_algo).digest_size
    if len(value) != size * 2:
        raise BadRequest(
            f"os_hash_value: ({value}) is not the correct size for ({data.os_hash_algo}) "
            f"(should be ({size}) bytes)"
        )
    if data.checksum is not None and not set(data.checksum) <= _HEX:
        raise BadRequest(f"checksum ({data.checksum}) is not a valid hexadecimal value")


def has_credentials(url: str) -> bool:
    """Whether a location URL carries a secret: a user or password before the host (S3 or
    swift style), or a query string (pre-signed URLs)."""
    _, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    return "@" in authority or "?" in url


def may_see_locations(*, is_admin: bool, is_service: bool, is_owner: bool) -> bool:
    """Location URLs reveal the storage layout: only admins, services and the owner's
    project see them (docs/glance-differences.md#location-exposure)."""
    return is_admin or is_service or is_owner


def shown_locations(locations: list[tuple[str, dict]], *, is_admin: bool) -> list[tuple[str, dict]]:
    """The locations a caller allowed to see them is shown: without those whose URL carries
    credentials, unless an admin asks."""
    return [(url, meta) for url, meta in locations if is_admin or not has_credentials(url)]


# --- The legacy PATCH operations on /locations (CATALOG_SHOW_MULTIPLE_LOCATIONS) -----------


@dataclass(frozen=True)
class LegacyLocation:
    url: str
    metadata: dict
    validation: ValidationData | None = None


def parse_legacy_location(value) -> LegacyLocation:
    """One location of a PATCH value: ``url``, ``metadata`` (required) and optional
    ``validation_data`` (``checksum``, ``os_hash_algo``, ``os_hash_value``)."""
    if not isinstance(value, dict):
        raise _schema_error("image", f"{value!r} is not of type 'object'")
    _check_no_nul(value, "image")
    for key in ("url", "metadata"):
        if key not in value:
            raise _schema_error("image", f"'{key}' is a required property")
    extra = sorted(set(value) - {"url", "metadata", "validation_data"})
    if extra:
        raise _schema_error("image", f"Additional properties are not allowed ({extra[0]!r})")
    url, metadata = value["url"], value["metadata"]
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise _schema_error("image", f"{url!r} is not a string of 1 to 2048 characters")
    if not isinstance(metadata, dict):
        raise _schema_error("image", f"{metadata!r} is not of type 'object'")
    data = value.get("validation_data", {})
    if not isinstance(data, dict):
        raise _schema_error("image", f"{data!r} is not of type 'object'")
    return LegacyLocation(url, metadata, _validation_data(data, "image", allow_checksum=True))


def parse_legacy_value(op: str, value) -> list[LegacyLocation]:
    """The locations an add (one) or a replace (a list) carries."""
    if op == "add":
        return [parse_legacy_location(value)]
    if not isinstance(value, list):
        raise _schema_error("image", f"{value!r} is not of type 'array'")
    return [parse_legacy_location(item) for item in value]


def insert_position(index: str, count: int) -> int:
    """Where ``add /locations/<index>`` puts the new location: ``-`` or past the end
    appends; the position is kept (docs/glance-differences.md#location-positions)."""
    if index == "-":
        return count
    if not index.isdigit():
        raise BadRequest("Invalid position for adding a location.")
    return min(int(index), count)


def remove_position(index: str, count: int) -> int:
    if index == "-" and count:
        return count - 1
    if index.isdigit() and int(index) < count:
        return int(index)
    raise BadRequest("Invalid position for removing a location.")


def check_legacy_validation(
    data: ValidationData, current: dict, *, queued: bool, algorithm: str
) -> dict:
    """The image fields ``data`` sets. A value equal to the current one is accepted; a
    different one is a conflict; new values only on a queued image. The format checks are
    400, as on the new API (docs/glance-differences.md#location-validation-status)."""
    if data.os_hash_algo != algorithm:
        raise BadRequest(f"os_hash_algo must be {algorithm}, not {data.os_hash_algo}")
    check_hash_value(data)
    given = {"os_hash_algo": data.os_hash_algo, "os_hash_value": data.os_hash_value}
    if data.checksum:
        given["checksum"] = data.checksum
    new = {}
    for name, value in given.items():
        if current.get(name) is None:
            new[name] = value
        elif current[name] != value:
            raise Conflict(f"{name} is already set with a different value")
    if new and not queued:
        names = ", ".join(sorted(new))
        raise Conflict(
            f"New value(s) for {names} may only be provided when image status is 'queued'"
        )
    return new
