"""Rules of image locations (pure): the ``POST /v2/images/{id}/locations`` body, validation
data, who may see location URLs, and the legacy PATCH location value.

Messages are Glance's (glance-wave2 section 2); where Glance is inconsistent we pick one
answer and say so in docs/glance-differences.md.
"""

import hashlib
import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from catalog.exceptions import BadRequest

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


def parse_new_location(body) -> tuple[str, ValidationData | None]:
    """The body of ``POST /locations``: ``url`` and optional ``validation_data``. Unknown
    top-level keys are refused (docs/glance-differences.md#location-api-input)."""
    if not isinstance(body, dict):
        raise _schema_error("location", f"{body!r} is not of type 'object'")
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
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    return bool(parts.username or parts.password or parts.query)


def may_see_locations(*, is_admin: bool, is_service: bool, is_owner: bool) -> bool:
    """Location URLs reveal the storage layout: only admins, services and the owner's
    project see them (docs/glance-differences.md#location-exposure)."""
    return is_admin or is_service or is_owner


def shown_locations(locations: list[tuple[str, dict]], *, is_admin: bool) -> list[tuple[str, dict]]:
    """The locations a caller allowed to see them is shown: without those whose URL carries
    credentials, unless an admin asks."""
    return [(url, meta) for url, meta in locations if is_admin or not has_credentials(url)]
