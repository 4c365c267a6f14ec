"""Image record writes: create, update (JSON Patch), delete and the one status-transition
function."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import policy
from catalog import properties as props
from catalog.choices import ImageStatus, Visibility
from catalog.context import RequestContext
from catalog.data import staging
from catalog.domain import images as image_rules
from catalog.domain import metadefs as metadef_rules
from catalog.domain import patching
from catalog.exceptions import BadRequest, Conflict, Forbidden, InvalidTransition, NotFound
from catalog.models import Image, ImageMember, ImageProperty, ImageTag
from catalog.reads import metadefs as metadef_reads
from catalog.reads import queries
from catalog.services import blobs, cache, events, families, quotas
from catalog.services.withdrawal import withdraw_publication_requests

# Who may set which visibility (Glance: publicize_image is admin-only, communitize_image is
# open to project members).
VISIBILITY_RULES = {
    Visibility.PUBLIC: "publicize_image",
    Visibility.COMMUNITY: "communitize_image",
}


def enforce_visibility_change(ctx: RequestContext, visibility: str | None) -> None:
    rule = VISIBILITY_RULES.get(visibility)
    if rule:
        policy.enforce(ctx, rule)


def check_metadefs(ctx: RequestContext, properties: dict) -> None:
    """With ``CATALOG_ENFORCE_METADEFS``, refuse (400) an image property value that breaks
    the definition of a namespace the caller sees for ``OS::Glance::Image``. ``properties``
    holds what is written (new or changed values): what is already stored is not judged."""
    if not settings.CATALOG_ENFORCE_METADEFS or not properties:
        return
    definitions = metadef_reads.definition_map(metadef_reads.definitions_for(ctx))
    message = metadef_rules.property_violation(definitions, properties)
    if message:
        raise BadRequest(message)


def create_image(ctx: RequestContext, body) -> Image:
    """Create an image record from a ``POST /v2/images`` body (Glance's defaults)."""
    policy.enforce(ctx, "add_image")
    new = image_rules.validate_new_image(
        body,
        property_quota=settings.CATALOG_IMAGE_PROPERTY_QUOTA,
        tag_quota=settings.CATALOG_IMAGE_TAG_QUOTA,
    )
    owner = new.fields.pop("owner", ctx.project_id)
    if owner != ctx.project_id and not ctx.is_admin:
        raise Forbidden(f"You are not permitted to create images owned by '{owner}'")
    enforce_visibility_change(ctx, new.fields.get("visibility"))
    check_metadefs(ctx, new.extra)
    families.check_deprecation(ctx, new.extra)

    image_id = new.fields.pop("id", None)
    if image_id is not None and Image.objects.filter(pk=image_id.lower()).exists():
        raise Conflict(f"Image ID {image_id} already exists!")
    now = timezone.now()
    image = Image(owner=owner, created_at=now, updated_at=now, **new.fields)
    if image_id is not None:
        image.id = image_id.lower()
    try:
        with transaction.atomic():
            # Under the project's quota lock, so concurrent creates cannot pass the limit.
            quotas.reserve_image_count(owner)
            image.save(force_insert=True)
            ImageTag.objects.bulk_create(ImageTag(image=image, value=t) for t in new.tags)
            ImageProperty.objects.bulk_create(
                ImageProperty(image=image, name=k, value=v) for k, v in new.extra.items()
            )
            events.image(ctx, "image.create", image, changes=created_fields(new))
    except IntegrityError:
        # Lost a race with a concurrent create of the same id.
        raise Conflict(f"Image ID {image.id} already exists!") from None
    return image


def created_fields(new) -> dict:
    """What a create set, as the audit trail's before/after (before: nothing)."""
    values = {**new.fields, **new.extra}
    if new.tags:
        values["tags"] = sorted(new.tags)
    return {name: [None, value] for name, value in values.items()}


def lock_image_for(
    ctx: RequestContext,
    image_id: str,
    rule: str,
    *,
    not_found: str,
    forbidden: str | None = None,
) -> Image:
    """The live image, row-locked, once ``ctx`` passes ``rule`` on it (call inside
    ``transaction.atomic``). Invisible images are 404 ``not_found``; a refusal is 403, with
    ``forbidden`` as its message when given (Glance words some of these per route)."""
    image = queries.lock_live_image(image_id)
    if image is None:
        raise NotFound(not_found)
    try:
        policy.enforce_image(ctx, rule, image, not_found)
    except Forbidden:
        if forbidden is None:
            raise
        raise Forbidden(forbidden) from None
    return image


def transition(image: Image, target: str, **changes) -> Image:
    """Move ``image`` to status ``target``: the only way a status ever changes.

    Checks the transition table, then writes with compare-and-set on the current status,
    so two racing requests cannot both win (Glance's ``from_state`` update).
    """
    current = image.status
    image_rules.check_transition(current, target, image.disk_format, image.container_format)
    if target == ImageStatus.QUEUED:
        for name in image_rules.DATA_FIELDS_CLEARED_ON_QUEUED:
            changes.setdefault(name, None)
    if target == ImageStatus.DELETED:
        changes.setdefault("deleted", True)
        changes.setdefault("deleted_at", timezone.now())
    changes["status"] = target
    changes["updated_at"] = timezone.now()
    updated = Image.objects.filter(pk=image.pk, status=current, deleted=False).update(**changes)
    if not updated:
        fresh = Image.objects.filter(pk=image.pk).values_list("status", flat=True).first()
        raise InvalidTransition(
            f"Image {image.pk} changed status underneath this request "
            f"(wanted {current} -> {target}, now {fresh})."
        )
    for name, value in changes.items():
        setattr(image, name, value)
    return image


def back_to_queued(image: Image) -> Image:
    """A write or import that did not finish: its image queued again (size and hashes
    cleared), recorded as Glance's ``image.update`` by the catalog itself."""
    before = image.status
    transition(image, ImageStatus.QUEUED)
    events.image(None, "image.update", image, changes={"status": [before, image.status]})
    return image


def delete_image(ctx: RequestContext, image_id: str) -> None:
    """Soft-delete an image (protected images refused) and remove its data.

    Its pending publication requests close as ``withdrawn``. The record ends ``deleted`` even
    when a store fails to remove the data: the location stays ``pending_delete`` for
    ``manage.py scrub_images``.
    """
    message = f"Failed to find image {image_id} to delete"
    with transaction.atomic():
        image = lock_image_for(ctx, image_id, "delete_image", not_found=message)
        if image.protected:
            raise Forbidden(f"Image {image.pk} is protected and cannot be deleted.")
        before = image.status
        try:
            transition(image, ImageStatus.DELETED)
        except InvalidTransition:
            raise NotFound(message) from None
        # Glance soft-deletes the memberships with the image.
        ImageMember.objects.filter(image=image, deleted=False).update(
            deleted=True, updated_at=image.updated_at
        )
        withdraw_publication_requests(image.pk)
        blobs.mark_for_deletion(image)
        events.image(ctx, "image.delete", image, changes={"status": [before, image.status]})
    blobs.remove_image_data(image)
    cache.forget_image(image.pk)
    # Glance deletes staging residue with the image (an uploading image's staged data).
    staging.discard(image.pk)


# Columns a patch may change (the writable base attributes other than tags).
PATCHABLE_COLUMNS = tuple(
    a.name for a in props.BASE_ATTRIBUTES if a.access == props.WRITABLE and a.name != "tags"
)


def update_image(
    ctx: RequestContext, image_id: str, changes: list[patching.Change], *, v20: bool = False
) -> Image:
    """Apply a parsed JSON Patch to an image, all or nothing.

    The image row is locked (``select_for_update``) before its properties and tags are read,
    so concurrent patches apply one after the other and none is lost. An empty patch changes
    nothing, not even ``updated_at`` (as Glance).
    """
    with transaction.atomic():
        image = lock_image_for(
            ctx, image_id, "modify_image", not_found=f"No image found with ID {image_id}"
        )
        if not changes:
            return image
        before = _patch_state(image)
        rules = patching.PatchRules(
            v20=v20,
            may_change_owner=ctx.is_admin,
            check_visibility=lambda visibility: enforce_visibility_change(ctx, visibility),
            property_quota=settings.CATALOG_IMAGE_PROPERTY_QUOTA,
            tag_quota=settings.CATALOG_IMAGE_TAG_QUOTA,
        )
        after = patching.apply_patch(before, changes, rules)
        written = {k: v for k, v in after.extra.items() if before.extra.get(k) != v}
        check_metadefs(ctx, written)
        families.check_deprecation(ctx, written)
        _save_patch(image, before, after)
        events.image(ctx, "image.update", image, changes=patch_changes(before, after))
    return image


def patch_changes(before: patching.ImageState, after: patching.ImageState) -> dict:
    """What a patch changed, for the audit trail: fields, properties and the tag list."""
    diff = events.changed(before.fields, after.fields)
    diff.update(events.changed(before.extra, after.extra))
    if sorted(before.tags) != sorted(after.tags):
        diff["tags"] = [sorted(before.tags), sorted(after.tags)]
    return diff


def _patch_state(image: Image) -> patching.ImageState:
    fields = {name: getattr(image, name) for name in (*PATCHABLE_COLUMNS, "status")}
    extra = dict(image.properties.values_list("name", "value"))
    tags = list(image.tags.values_list("value", flat=True))
    return patching.ImageState(fields=fields, extra=extra, tags=tags)


def _save_patch(image: Image, before: patching.ImageState, after: patching.ImageState) -> None:
    """Write the difference between two states (and bump ``updated_at``)."""
    columns = {k: v for k, v in after.fields.items() if before.fields[k] != v}
    columns["updated_at"] = timezone.now()
    Image.objects.filter(pk=image.pk).update(**columns)
    for name, value in columns.items():
        setattr(image, name, value)

    kept_before, kept_after = set(before.tags), set(after.tags)
    removed = [t for t in before.tags if t not in kept_after]
    ImageTag.objects.filter(image=image, value__in=removed).delete()
    ImageTag.objects.bulk_create(
        ImageTag(image=image, value=t) for t in after.tags if t not in kept_before
    )

    gone = [k for k in before.extra if k not in after.extra]
    ImageProperty.objects.filter(image=image, name__in=gone).delete()
    for name, value in after.extra.items():
        if name in before.extra and before.extra[name] != value:
            ImageProperty.objects.filter(image=image, name=name).update(value=value)
    ImageProperty.objects.bulk_create(
        ImageProperty(image=image, name=k, value=v)
        for k, v in after.extra.items()
        if k not in before.extra
    )
