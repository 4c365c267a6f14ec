"""Pure rules of the interoperable import (``POST /v2/images/{id}/import``), in Glance's order.

No ORM and no I/O: the import service feeds these the request, the image's state and the
configured stores, and acts on what they return or raise.

``IMPORT_METHODS`` is the one table of import methods: what each one's request must carry,
the state the image must be in, the policy rule, where the data comes from. The worker's
steps for each method are keyed by the same names (``catalog/services/imports/steps.py``);
adding a method is one entry here and one there.
"""

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from catalog.choices import ImageStatus
from catalog.exceptions import BadRequest, Conflict, NotFound

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


class DataSource(enum.Enum):
    """Where an import's data comes from."""

    STAGED = "staged"  # the caller staged it (PUT /stage) before importing
    DOWNLOADED = "downloaded"  # the worker downloads it into the staging area
    STORED = "stored"  # the image's own active copies


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
    # Vitrine's extension of web-download: (algorithm, lower-case hex digest) the fetched
    # data must match, or the task fails and nothing is kept.
    expected_hash: tuple[str, str] | None = None
    raw: dict = field(default_factory=dict)

    @property
    def kind(self) -> "ImportMethod":
        """The request's method, as the table describes it."""
        return IMPORT_METHODS[self.method]


def _no_fields(request: ImportRequest) -> None:
    pass


@dataclass(frozen=True)
class ImportMethod:
    """One import method: everything about it that is a rule rather than work."""

    name: str
    source: DataSource
    # The policy rule a caller must pass on the image.
    policy_rule: str
    # The status the image must be in, and the 409 otherwise (step 5).
    from_status: str
    wrong_status: str
    # The formats must be set before the import starts.
    needs_formats: bool = True
    # The checks of the method's own fields in the request (400 otherwise).
    check_request: Callable[[ImportRequest], None] = _no_fields
    # A source that cannot be used (glance-download: unknown region, missing remote image) is
    # accepted (202) and fails the task, as Glance; else it is the request's 400.
    fails_in_task: bool = False

    @property
    def copies(self) -> bool:
        """The image already has data: it stays active, and its import only adds stores."""
        return self.source is DataSource.STORED

    @property
    def uses_staging(self) -> bool:
        """The data passes through the staging area (where it may be converted)."""
        return self.source is not DataSource.STORED

    @property
    def size_known(self) -> bool:
        """The image's size is known when the import starts (not a download)."""
        return self.source is not DataSource.DOWNLOADED


def _check_uri(request: ImportRequest) -> None:
    if not isinstance(request.uri, str):
        raise BadRequest("'uri' needs to be set for web-download import method")


EXPECTED_HASH = "x_vitrine_expected_hash"
HASH_LENGTHS = {"md5": 32, "sha256": 64, "sha512": 128}
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def parse_expected_hash(method: dict) -> tuple[str, str] | None:
    """``method.x_vitrine_expected_hash`` (``{"algo", "value"}``), checked (400 otherwise);
    only web-download fetches data a caller can vouch for this way."""
    if EXPECTED_HASH not in method:
        return None
    if method.get("name") != "web-download":
        raise BadRequest(f"'{EXPECTED_HASH}' is only accepted with the web-download method.")
    expected = method[EXPECTED_HASH]
    algos = ", ".join(HASH_LENGTHS)
    if not isinstance(expected, dict) or expected.get("algo") not in HASH_LENGTHS:
        raise BadRequest(f"'{EXPECTED_HASH}' must be an object with 'algo' one of: {algos}.")
    value = expected.get("value")
    length = HASH_LENGTHS[expected["algo"]]
    if not isinstance(value, str) or len(value) != length or not _HEX.match(value):
        raise BadRequest(
            f"'{EXPECTED_HASH}' value must be {length} hexadecimal digits for {expected['algo']}."
        )
    return expected["algo"], value.lower()


def _check_remote_image(request: ImportRequest) -> None:
    if not request.glance_region:
        raise BadRequest("'glance_region' needs to be set for glance-download import method")
    # A list or an object here reached the region table as a key: a TypeError, a 500.
    for field_name in ("glance_region", "glance_service_interface"):
        if not isinstance(getattr(request, field_name), str):
            raise BadRequest(f"'{field_name}' must be a string.")
    if not request.glance_image_id:
        raise BadRequest("'glance_image_id' needs to be set for glance-download import method")
    if not isinstance(request.glance_image_id, str) or not _UUID.match(request.glance_image_id):
        raise BadRequest(f"Remote image id does not look like a UUID: {request.glance_image_id}")


IMPORT_METHODS: dict[str, ImportMethod] = {
    method.name: method
    for method in (
        ImportMethod(
            "glance-direct",
            DataSource.STAGED,
            policy_rule="modify_image",
            from_status=ImageStatus.UPLOADING,
            wrong_status="Image needs to be staged before 'glance-direct' method can be used",
        ),
        ImportMethod(
            "web-download",
            DataSource.DOWNLOADED,
            policy_rule="modify_image",
            from_status=ImageStatus.QUEUED,
            wrong_status="Image needs to be in 'queued' state to use 'web-download' method",
            check_request=_check_uri,
        ),
        ImportMethod(
            "copy-image",
            DataSource.STORED,
            policy_rule="copy_image",
            from_status=ImageStatus.ACTIVE,
            wrong_status="Only images with status active can be targeted for copying",
            needs_formats=False,  # an active image has them
        ),
        ImportMethod(
            "glance-download",
            DataSource.DOWNLOADED,
            policy_rule="modify_image",
            from_status=ImageStatus.QUEUED,
            wrong_status="Image needs to be in 'queued' state to use 'glance-download' method",
            needs_formats=False,  # the formats come from the remote image
            check_request=_check_remote_image,
            fails_in_task=True,
        ),
    )
}
ALL_METHODS = tuple(IMPORT_METHODS)


def enabled_methods(configured: Iterable[str]) -> list[ImportMethod]:
    """The methods a site enables (``CATALOG_ENABLED_IMPORT_METHODS``), in its order: what
    ``/v2/info/import`` lists."""
    return [IMPORT_METHODS[name] for name in configured if name in IMPORT_METHODS]


def parse_import_request(body, enabled: Iterable[str]) -> ImportRequest:
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
    offered = {m.name: m for m in enabled_methods(enabled)}
    if not isinstance(name, str) or name not in offered:
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
        expected_hash=parse_expected_hash(method),
        raw=body,
    )
    offered[name].check_request(request)
    return request


def check_image_state(request: ImportRequest, status: str, disk_format, container_format) -> None:
    """Step 5: the image must be in the state the method needs (409 otherwise)."""
    method = request.kind
    if status != method.from_status:
        if status == ImageStatus.ACTIVE:
            raise Conflict(f"Image with status {status} cannot be target for import")
        raise Conflict(method.wrong_status)
    if not method.needs_formats:
        return
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
    if request.kind.copies:
        if request.all_stores:
            targets = [s for s in targets if s not in present_in]
        else:
            for store in targets:
                if store in present_in:
                    raise BadRequest(f"Image is already present at store '{store}'")
    return targets


def lock_is_held(task_status: str | None) -> bool:
    """Does the task named by an image's import lock still hold it? (Step 8.) Only while it is
    queued or running; a dead worker's task stops being so within a lease timeout and a
    recovery sweep (it is requeued, or failed): docs/glance-differences.md#interrupted-writes."""
    return task_status in ("pending", "processing")


def method_not_available(method: str) -> NotFound:
    return NotFound(f"'{method}' method is not available at this site.")
