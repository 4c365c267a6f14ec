"""Image families and deprecation: the writes.

Every step has its own function (``deprecate_image``, ``hide_image``, ``on_published``,
``hide_expired``) so each can be recorded. A family is (owner, ``x_vitrine_family``): the
automatic deprecation of ``on_published`` only ever touches images of the publishing image's
own owner, so nobody can join another project's family or trigger its deprecation.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from catalog.context import RequestContext
from catalog.domain import families as rules
from catalog.exceptions import BadRequest, CatalogError
from catalog.models import FamilyPolicy, Image, ImageProperty
from catalog.reads import families as family_reads
from catalog.reads import queries
from catalog.services import events


def check_deprecation(ctx: RequestContext, written: dict) -> None:
    """The deprecation properties being written must make sense: known values, a date for
    ``x_vitrine_hide_after``, and a successor that exists and that ``ctx`` sees (404-style
    400 otherwise: an invisible image is not named)."""
    rules.check_deprecation_values(written)
    successor = written.get(rules.SUPERSEDED_BY)
    if successor:
        try:
            queries.get_visible_image(ctx, successor)
        except CatalogError:
            raise BadRequest(
                f"Invalid {rules.SUPERSEDED_BY} value: no image {successor} is visible to you."
            ) from None


def _set_properties(event_type: str, image_id: str, values: dict, **columns) -> None:
    """Write lifecycle properties and columns of an image, recorded as ``event_type``."""
    now = timezone.now().replace(microsecond=0)
    before = dict(
        ImageProperty.objects.filter(image_id=image_id, name__in=values).values_list(
            "name", "value"
        )
    )
    for name, value in values.items():
        ImageProperty.objects.update_or_create(
            image_id=image_id, name=name, defaults={"value": value}
        )
    Image.objects.filter(pk=image_id).update(updated_at=now, **columns)
    changes = {name: [before.get(name), value] for name, value in values.items()}
    changes.update({name: [None, value] for name, value in columns.items()})
    owner = Image.objects.filter(pk=image_id).values_list("owner", flat=True).first()
    events.custom(
        None,
        event_type,
        target_type="image",
        target_id=image_id,
        owner=owner or "",
        changes=changes,
    )


def deprecate_image(
    image_id: str, successor_id: str | None = None, hide_after: datetime | None = None
) -> None:
    """Mark an image deprecated, pointing at its successor, hidden after ``hide_after``."""
    values = {rules.DEPRECATED: "true"}
    if successor_id:
        values[rules.SUPERSEDED_BY] = successor_id
    if hide_after is not None:
        values[rules.HIDE_AFTER] = hide_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    _set_properties("lifecycle.deprecated", image_id, values)


def hide_image(image_id: str) -> None:
    """Hide a deprecated image from default lists (``os_hidden``), as its policy asked."""
    _set_properties("lifecycle.hidden", image_id, {}, os_hidden=True)


def policy_of(owner: str | None, name: str) -> FamilyPolicy | None:
    return FamilyPolicy.objects.filter(owner=owner or "", name=name).first()


def set_policy(owner: str, name: str, **fields) -> FamilyPolicy:
    """Create or change a family's policy (the admin's family page)."""
    fields["updated_at"] = timezone.now()
    row, _ = FamilyPolicy.objects.update_or_create(owner=owner, name=name, defaults=fields)
    return row


def on_published(image_id: str) -> list[str]:
    """A family image became public: under its family's policy, deprecate (and maybe hide)
    the older versions, pointing them at it. Only when it is the family's latest version.
    Returns the ids deprecated."""
    image = Image.objects.filter(pk=image_id, deleted=False).first()
    name = family_reads.family_name(image) if image else None
    if not name:
        return []
    family_policy = policy_of(image.owner, name)
    if family_policy is None or family_policy.on_new_version == FamilyPolicy.KEEP:
        return []
    members = family_reads.members(image.owner, name)
    if not members or rules.ordered(members)[-1].id != image.pk:
        return []
    older = [m.id for m in rules.older_than(members, image.pk)]
    already = family_reads.deprecated_ids(older)
    hide_after = None
    if family_policy.on_new_version == FamilyPolicy.DEPRECATE_AND_HIDE:
        hide_after = timezone.now().replace(microsecond=0) + timedelta(
            days=family_policy.hide_after_days
        )
    done = []
    with transaction.atomic():
        for older_id in older:
            if older_id in already:
                continue
            deprecate_image(older_id, image.pk, hide_after)
            if hide_after is not None and family_policy.hide_after_days == 0:
                hide_image(older_id)
            done.append(older_id)
    return done


def hide_expired(now: datetime | None = None) -> int:
    """The periodic job: hide deprecated images whose ``x_vitrine_hide_after`` has passed."""
    now = now or timezone.now()
    hidden = 0
    for image_id, value in family_reads.hide_after_values():
        try:
            moment = rules.parse_hide_after(value)
        except BadRequest:
            continue  # an old value written before validation: never guess
        if moment <= now:
            hide_image(image_id)
            hidden += 1
    return hidden
