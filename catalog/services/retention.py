"""Retention: in a family with ``keep_newest`` set, versions older than the newest N are
retired (deactivated, then deleted ``grace_days`` later), by the worker or
``manage.py apply_retention``. Protected images and images shared with a project that
accepted them are always kept. ``run(dry_run=True)`` says what would happen and changes
nothing.

Each step is its own service call (``retire_image``, ``delete_retired_image``), made with the
catalog's own admin context through the same paths as an admin's deactivate and delete.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from catalog.choices import ImageStatus, MemberStatus
from catalog.context import RequestContext, expand_roles
from catalog.domain import families as rules
from catalog.exceptions import CatalogError
from catalog.models import FamilyPolicy, Image, ImageMember, RetiredImage
from catalog.reads import families as family_reads
from catalog.services import actions, events
from catalog.services.images import delete_image

SYSTEM = RequestContext(
    user_id="vitrine-retention",
    user_name="retention",
    project_id=None,
    roles=expand_roles(["admin"]),
)


@dataclass(frozen=True)
class Step:
    """One thing retention does (or, in a dry run, would do) to one image."""

    action: str  # "deactivate", "delete", "release" (reactivated meanwhile: no longer retired)
    image_id: str
    family: str
    reason: str
    grace_days: int = 0

    def __str__(self) -> str:
        return f"{self.action} {self.image_id} ({self.family}): {self.reason}"


def _kept(image_ids: list[str]) -> set[str]:
    protected = Image.objects.filter(pk__in=image_ids, protected=True).values_list("id", flat=True)
    shared = ImageMember.objects.filter(
        image_id__in=image_ids, status=MemberStatus.ACCEPTED, deleted=False
    ).values_list("image_id", flat=True)
    return set(protected) | set(shared)


def _retirements(family: FamilyPolicy, now: datetime) -> list[Step]:
    members = family_reads.members(family.owner or None, family.name)
    kept = _kept([m.id for m in members])
    retired = set(RetiredImage.objects.values_list("image_id", flat=True))
    statuses = dict(
        Image.objects.filter(pk__in=[m.id for m in members]).values_list("id", "status")
    )
    steps = []
    for member in rules.retention_plan(members, family.keep_newest, kept):
        if member.id in retired or statuses.get(member.id) != ImageStatus.ACTIVE:
            continue
        reason = f"older than the newest {family.keep_newest} of {family.name}"
        steps.append(Step("deactivate", member.id, family.name, reason, family.grace_days))
    return steps


def _deletions(now: datetime) -> list[Step]:
    steps = []
    due = RetiredImage.objects.filter(delete_after__lte=now).select_related("image")
    for row in due:
        image = row.image
        if image.deleted:
            continue
        if image.status != ImageStatus.DEACTIVATED or image.pk in _kept([image.pk]):
            steps.append(Step("release", image.pk, row.family, "reactivated, protected or shared"))
        else:
            steps.append(
                Step("delete", image.pk, row.family, f"retired on {row.retired_at:%Y-%m-%d}")
            )
    return steps


def plan(now: datetime | None = None) -> list[Step]:
    """What a run would do now."""
    now = now or timezone.now()
    steps = _deletions(now)
    for family in FamilyPolicy.objects.filter(keep_newest__isnull=False):
        steps.extend(_retirements(family, now))
    return steps


def retire_image(image_id: str, family: str, grace_days: int, now: datetime) -> None:
    """Deactivate an old version and schedule its deletion after the grace period."""
    with transaction.atomic():
        actions.deactivate(SYSTEM, image_id)
        RetiredImage.objects.update_or_create(
            image_id=image_id,
            defaults={
                "family": family,
                "retired_at": now,
                "delete_after": now + timedelta(days=grace_days),
            },
        )
        _recorded("retention.retired", image_id, family=family, grace_days=grace_days)


def delete_retired_image(image_id: str) -> None:
    """Delete a retired image whose grace period has passed."""
    delete_image(SYSTEM, image_id)


def release_image(image_id: str) -> None:
    """Forget a retirement: the image was reactivated, protected or shared meanwhile."""
    with transaction.atomic():
        RetiredImage.objects.filter(image_id=image_id).delete()
        _recorded("retention.released", image_id)


def _recorded(event_type: str, image_id: str, **detail) -> None:
    owner = Image.objects.filter(pk=image_id).values_list("owner", flat=True).first()
    events.custom(
        SYSTEM, event_type, target_type="image", target_id=image_id, owner=owner or "", **detail
    )


def periodic() -> int:
    """The worker's periodic job: how many steps it took."""
    return len(run())


def run(dry_run: bool = False, now: datetime | None = None) -> list[Step]:
    """Apply (or, with ``dry_run``, only list) the steps due now; a step that fails (the
    image changed meanwhile) is skipped and tried again on the next run."""
    now = now or timezone.now()
    steps = plan(now)
    if dry_run:
        return steps
    done = []
    for step in steps:
        try:
            if step.action == "deactivate":
                retire_image(step.image_id, step.family, step.grace_days, now)
            elif step.action == "delete":
                delete_retired_image(step.image_id)
            else:
                release_image(step.image_id)
        except CatalogError:
            continue
        done.append(step)
    return done
