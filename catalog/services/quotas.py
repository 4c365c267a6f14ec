"""Per-project quotas: limits, usage, and the checks every writing path makes.

Glance enforces four per-project limits when Keystone unified limits are deployed, and reports
them in ``GET /v2/info/usage`` (its ``quota/keystone.py``). Vitrine always has them: defaults
come from settings (``CATALOG_QUOTA_*``), per-project overrides from ``ProjectQuota`` rows set
by admins. Units are Glance's: the two sizes in MiB, the two counts in images; -1 means
unlimited.

- ``image_size_total`` (MiB): bytes of data in the store (active and deactivated images);
  checked by upload and by the final step of every import.
- ``image_stage_total`` (MiB): bytes staged (images uploading or importing) or being copied;
  checked by stage and by the download step of web-download and glance-download.
- ``image_count_total``: live images that are not killed; checked on create.
- ``image_count_uploading``: images saving, uploading, importing or being copied; checked
  before every data write starts.

Checks are made in bytes, not in MiB (Glance rounds usage down to MiB before comparing, so a
project could exceed its limit by up to 1 MiB per image). ``/v2/info/usage`` reports sizes in
MiB rounded down, as Glance does. Usage is charged to the image's owner project (Glance charges
the caller's project on create; an admin creating an image for project P uses P's quota here).
Images without an owner are never counted nor limited.

The legacy byte budget ``CATALOG_USER_STORAGE_QUOTA`` (Glance's ``user_storage_quota``) still
applies: the stricter of it and ``image_size_total`` wins (``storage_limit``).

How the data paths call this module
-----------------------------------
Every path that writes image data (``PUT /file``, ``PUT /stage``, ``POST /import`` with any
method) makes three calls; ``target`` is ``STORE`` for data that lands in the image store
(upload, the final step of an import, copy-image) and ``STAGING`` for data written to the
staging area (stage, the download step of web-download and glance-download)::

    with transaction.atomic():
        budget = quotas.check_data_write_start(image.owner, image.id, target=quotas.STORE,
                                               declared_size=content_length_or_None)
        transition(image, ImageStatus.SAVING)       # same transaction: holds the project lock
    written = 0
    for chunk in reader:                            # fixed-size chunks, never the whole body
        written += len(chunk)
        quotas.check_written(image.owner, image.id, written, budget, target=quotas.STORE)
        store.write(chunk)
    with transaction.atomic():
        quotas.check_data_write_end(image.owner, image.id, written, target=quotas.STORE)
        transition(image, ImageStatus.ACTIVE, size=written, ...)

On ``QuotaExceeded`` (a 413) the caller removes what it wrote and puts the image back as it
was. ``check_data_write_start`` refuses a new write when the project already has
``image_count_uploading`` writes in progress, or when the declared size does not fit;
``check_written`` stops a stream at the first chunk that passes the budget known at the start
(the upload and stage paths give the budget to ``streams.SizeGuard`` instead, which does the
same with Glance's words; web-download gives it to the fetcher as its byte cap);
``check_data_write_end`` re-checks with the usage committed by other writes in the meantime,
under a per-project lock held until the caller's transaction commits. So two concurrent uploads
racing for the last bytes cannot both commit: the committed usage never exceeds the limit, and
the bytes on disk exceed it by at most what the loser wrote (Glance re-checks after the write
the same way, in ``quota/__init__.py``, but without a lock).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from catalog.choices import ImageStatus
from catalog.exceptions import BadRequest, RequestEntityTooLarge
from catalog.models import Image, ImageProperty, ProjectQuota
from catalog.properties import MAX_DB_BIGINT
from catalog.services import events

MiB = 1024 * 1024
UNLIMITED = None

IMAGE_SIZE_TOTAL = "image_size_total"
IMAGE_COUNT_TOTAL = "image_count_total"
IMAGE_STAGE_TOTAL = "image_stage_total"
IMAGE_COUNT_UPLOADING = "image_count_uploading"
# The order of the UsageInfo component we publish.
QUOTA_NAMES = (IMAGE_SIZE_TOTAL, IMAGE_COUNT_TOTAL, IMAGE_STAGE_TOTAL, IMAGE_COUNT_UPLOADING)
SIZE_QUOTAS = frozenset({IMAGE_SIZE_TOTAL, IMAGE_STAGE_TOTAL})
# Glance's static byte budget (CATALOG_USER_STORAGE_QUOTA), named in messages when it binds.
USER_STORAGE_QUOTA = "user_storage_quota"

# Where a data write lands: the image store, or the staging area of interoperable import.
STORE = "store"
STAGING = "staging"
_SIZE_QUOTA_OF = {STORE: IMAGE_SIZE_TOTAL, STAGING: IMAGE_STAGE_TOTAL}

# Glance's marker of a copy-image in progress (the stores still to be written).
COPYING_PROPERTY = "os_glance_importing_to_stores"


class QuotaExceeded(RequestEntityTooLarge):
    """A request that would take a project over one of its limits (413)."""


# --- Limits --------------------------------------------------------------------------------


def default_limit(name: str) -> int:
    return getattr(settings, f"CATALOG_QUOTA_{name.upper()}")


def project_limits(project_id: str | None) -> dict[str, int]:
    """The four limits of a project in Glance's units (MiB, images); -1 means unlimited."""
    override = ProjectQuota.objects.filter(project_id=project_id).first() if project_id else None
    limits = {}
    for name in QUOTA_NAMES:
        value = getattr(override, name, None)
        limits[name] = default_limit(name) if value is None else value
    return limits


def _in_base_units(name: str, limit: int) -> int | None:
    """A limit in bytes (sizes) or images (counts); None when unlimited."""
    if limit < 0:
        return UNLIMITED
    return limit * MiB if name in SIZE_QUOTAS else limit


def limit_of(project_id: str | None, name: str) -> int | None:
    """One limit in bytes or images; None when unlimited (and always for ownerless images)."""
    if project_id is None:
        return UNLIMITED
    return _in_base_units(name, project_limits(project_id)[name])


# --- Usage ---------------------------------------------------------------------------------


def _live(owner: str | None, exclude_image_id: str | None):
    images = Image.objects.filter(owner=owner, deleted=False)
    if exclude_image_id is not None:
        images = images.exclude(pk=exclude_image_id)
    return images


def _copying() -> Q:
    copying = ImageProperty.objects.filter(image=OuterRef("pk"), name=COPYING_PROPERTY).exclude(
        value=""
    )
    return Q(status=ImageStatus.ACTIVE) & Q(Exists(copying))


def _sum_size(images) -> int:
    return images.aggregate(total=Sum("size"))["total"] or 0


def storage_used(owner: str | None, exclude_image_id: str | None = None) -> int:
    """Bytes of ``owner``'s data in the store: active and deactivated images (Glance counts
    images with active locations; data being uploaded or staged is not in the store yet)."""
    images = _live(owner, exclude_image_id).filter(
        status__in=[ImageStatus.ACTIVE, ImageStatus.DEACTIVATED], size__gt=0
    )
    return _sum_size(images)


def staging_used(owner: str | None, exclude_image_id: str | None = None) -> int:
    """Bytes ``owner`` holds in staging: staged or importing images, and copies in progress."""
    images = _live(owner, exclude_image_id).filter(
        Q(status__in=[ImageStatus.UPLOADING, ImageStatus.IMPORTING]) | _copying(), size__gt=0
    )
    return _sum_size(images)


def image_count(owner: str | None, exclude_image_id: str | None = None) -> int:
    """Images counted by image_count_total: every live image but killed ones."""
    return _live(owner, exclude_image_id).exclude(status=ImageStatus.KILLED).count()


def uploading_count(owner: str | None, exclude_image_id: str | None = None) -> int:
    """Data writes in progress: images saving, uploading (staged), importing, or copying."""
    busy = [ImageStatus.SAVING, ImageStatus.UPLOADING, ImageStatus.IMPORTING]
    return _live(owner, exclude_image_id).filter(Q(status__in=busy) | _copying()).count()


_USAGE = {
    IMAGE_SIZE_TOTAL: storage_used,
    IMAGE_COUNT_TOTAL: image_count,
    IMAGE_STAGE_TOTAL: staging_used,
    IMAGE_COUNT_UPLOADING: uploading_count,
}


def usage_of(owner: str | None, name: str, exclude_image_id: str | None = None) -> int:
    """One usage figure in bytes or images."""
    return _USAGE[name](owner, exclude_image_id)


def usage_info(project_id: str | None) -> dict:
    """The body of ``GET /v2/info/usage``: every limit with its usage, sizes in MiB rounded
    down (Glance's ``quota/keystone.py:get_usage``)."""
    limits = project_limits(project_id)
    usage = {}
    for name in QUOTA_NAMES:
        used = usage_of(project_id, name) if project_id else 0
        usage[name] = {
            "limit": limits[name],
            "usage": used // MiB if name in SIZE_QUOTAS else used,
        }
    return {"usage": usage}


def share_of(usage: int, limit: int | None) -> float | None:
    """The used fraction of a limit (None when unlimited; a used zero limit is full)."""
    if limit is None:
        return None
    if limit == 0:
        return 1.0 if usage else 0.0
    return usage / limit


@dataclass(frozen=True)
class QuotaFigure:
    """One quota for people (the admin's and the catalog's bars): in bytes or images, not
    rounded to MiB as the wire's ``usage_info`` is."""

    name: str
    usage: int
    limit: int | None  # None: unlimited
    is_size: bool

    @property
    def share(self) -> float | None:
        return share_of(self.usage, self.limit)


def usage_figures(project_id: str) -> list[QuotaFigure]:
    limits = project_limits(project_id)
    return [
        QuotaFigure(
            name,
            usage_of(project_id, name),
            _in_base_units(name, limits[name]),
            name in SIZE_QUOTAS,
        )
        for name in QUOTA_NAMES
    ]


# --- Checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Figures:
    name: str
    limit: int
    usage: int
    requested: int

    def describe(self, value: int) -> str:
        if self.name not in SIZE_QUOTAS | {USER_STORAGE_QUOTA}:
            return f"{value} image{'s' if value != 1 else ''}"
        if value and value % MiB == 0:
            return f"{value // MiB} MiB ({value} bytes)"
        return f"{value} bytes"


def _exceeded(owner: str, figures: _Figures) -> QuotaExceeded:
    return QuotaExceeded(
        f"Quota {figures.name} exceeded for project {owner}: "
        f"limit {figures.describe(figures.limit)}, in use {figures.describe(figures.usage)}, "
        f"this request {figures.describe(figures.requested)}."
    )


def enforce(
    owner: str | None, name: str, requested: int, exclude_image_id: str | None = None
) -> None:
    """413 when ``owner``'s usage of ``name`` plus ``requested`` would pass its limit."""
    limit = limit_of(owner, name)
    if limit is UNLIMITED:
        return
    used = usage_of(owner, name, exclude_image_id)
    if used + requested > limit:
        events.refused(None, "quota.refused", owner=owner, quota=name, limit=limit, used=used)
        raise _exceeded(owner, _Figures(name, limit, used, requested))


def lock_project(owner: str) -> None:
    """Serialise quota checks of ``owner`` until the current transaction ends.

    Locks the project's ``ProjectQuota`` row (created on first use). Callers check and write
    in the same transaction, so a concurrent check sees the other's committed result.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("Quota checks that write must run inside transaction.atomic().")
    ProjectQuota.objects.get_or_create(project_id=owner)
    ProjectQuota.objects.select_for_update().filter(project_id=owner).first()


def reserve_image_count(owner: str | None) -> None:
    """Check image_count_total before a new image row is written (in the same transaction)."""
    if owner is None or limit_of(owner, IMAGE_COUNT_TOTAL) is UNLIMITED:
        return
    lock_project(owner)
    enforce(owner, IMAGE_COUNT_TOTAL, 1)


def _byte_budget(owner: str | None, image_id: str, target: str) -> int | None:
    if target == STORE:
        return storage_remaining(owner, exclude_image_id=image_id)
    limit = limit_of(owner, IMAGE_STAGE_TOTAL)
    if limit is UNLIMITED:
        return UNLIMITED
    return max(0, limit - staging_used(owner, exclude_image_id=image_id))


def check_data_write_start(
    owner: str | None, image_id: str, *, target: str, declared_size: int | None = None
) -> int | None:
    """Before streaming: refuse a write over image_count_uploading or one whose declared size
    does not fit; return the bytes the write may use (None: unlimited).

    Call it inside the transaction that moves the image to its writing status.
    """
    if owner is None:
        return UNLIMITED
    with transaction.atomic():
        lock_project(owner)
        enforce(owner, IMAGE_COUNT_UPLOADING, 1, exclude_image_id=image_id)
        budget = _byte_budget(owner, image_id, target)
        if budget is not UNLIMITED and (declared_size or 0) > budget:
            _raise_size_exceeded(owner, image_id, declared_size, target)
    return budget


def check_written(
    owner: str | None, image_id: str, written: int, budget: int | None, *, target: str
) -> None:
    """While streaming: 413 as soon as ``written`` passes the budget given at the start."""
    if budget is not UNLIMITED and written > budget:
        _raise_size_exceeded(owner, image_id, written, target)


def check_data_write_end(owner: str | None, image_id: str, size: int, *, target: str) -> None:
    """After the write, before recording it: re-check ``size`` against the usage committed
    meanwhile. Must run in the transaction that records the size (it holds the lock)."""
    if owner is None:
        return
    lock_project(owner)
    budget = _byte_budget(owner, image_id, target)
    if budget is not UNLIMITED and size > budget:
        _raise_size_exceeded(owner, image_id, size, target)


def _raise_size_exceeded(owner: str, image_id: str, requested: int, target: str) -> None:
    name = _SIZE_QUOTA_OF[target]
    events.refused(
        None, "quota.refused", owner=owner, target_id=image_id, quota=name, requested=requested
    )
    if target == STORE:
        limit, used = storage_limit(owner), storage_used(owner, exclude_image_id=image_id)
        if limit != limit_of(owner, IMAGE_SIZE_TOTAL):
            # Glance's static user_storage_quota binds: answer in its words, which clients
            # know.
            raise QuotaExceeded(
                f"Image exceeds the storage quota: The size of the data {requested} will "
                f"exceed the limit. {max(0, limit - used)} bytes remaining."
            )
    else:
        limit, used = limit_of(owner, name), staging_used(owner, exclude_image_id=image_id)
    raise _exceeded(owner, _Figures(name, limit, used, requested))


# --- The store byte budget (also used directly by the upload path) ---------------------------


def storage_limit(owner: str | None) -> int | None:
    """The byte budget of ``owner`` in the store; None when unlimited.

    The stricter of Glance's static ``user_storage_quota`` (bytes, 0 = unlimited) and the
    project's ``image_size_total``.
    """
    limits = []
    if settings.CATALOG_USER_STORAGE_QUOTA > 0:
        limits.append(settings.CATALOG_USER_STORAGE_QUOTA)
    size_total = limit_of(owner, IMAGE_SIZE_TOTAL)
    if size_total is not UNLIMITED:
        limits.append(size_total)
    return min(limits) if limits else UNLIMITED


def storage_remaining(owner: str | None, exclude_image_id: str | None = None) -> int | None:
    """Bytes ``owner`` may still store (None: unlimited). Never negative."""
    limit = storage_limit(owner)
    if limit is None:
        return None
    return max(0, limit - storage_used(owner, exclude_image_id))


# --- Per-project overrides, set by admins (Django admin and ``manage.py project_quota``) ---

# The largest limit the BigIntegerField columns store.
MAX_LIMIT = MAX_DB_BIGINT


def set_project_quota(project_id: str, **limits) -> ProjectQuota:
    """Override some of ``project_id``'s limits. A value of None returns that limit to the
    default from settings; -1 means unlimited; limits not named are kept."""
    if not project_id:
        raise BadRequest("A project id is required.")
    unknown = set(limits) - set(QUOTA_NAMES)
    if unknown:
        raise BadRequest(f"Unknown quota(s): {', '.join(sorted(unknown))}")
    for name, value in limits.items():
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < -1
        ):
            raise BadRequest(f"{name} must be an integer of at least -1 (unlimited), or unset.")
        if value is not None and value > MAX_LIMIT:
            # Larger values do not fit the column: the write would crash (OverflowError).
            raise BadRequest(f"{name} must be at most {MAX_LIMIT}.")
    with transaction.atomic():
        quota, _ = ProjectQuota.objects.select_for_update().get_or_create(project_id=project_id)
        for name, value in limits.items():
            setattr(quota, name, value)
        quota.updated_at = timezone.now()
        quota.save()
    return quota
