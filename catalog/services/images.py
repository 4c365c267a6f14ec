"""Image record writes: create, delete and the one status-transition function."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import domain, policy, queries, quotas
from catalog.choices import ImageStatus, Visibility
from catalog.context import RequestContext
from catalog.exceptions import Conflict, Forbidden, InvalidTransition, NotFound
from catalog.models import Image, ImageMember, ImageProperty, ImageTag

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


def create_image(ctx: RequestContext, body) -> Image:
    """Create an image record from a ``POST /v2/images`` body (Glance's defaults)."""
    policy.enforce(ctx, "add_image")
    new = domain.validate_new_image(
        body,
        property_quota=settings.CATALOG_IMAGE_PROPERTY_QUOTA,
        tag_quota=settings.CATALOG_IMAGE_TAG_QUOTA,
    )
    owner = new.fields.pop("owner", ctx.project_id)
    if owner != ctx.project_id and not ctx.is_admin:
        raise Forbidden(f"You are not permitted to create images owned by '{owner}'")
    enforce_visibility_change(ctx, new.fields.get("visibility"))

    image_id = new.fields.pop("id", None)
    if image_id is not None and Image.objects.filter(pk=image_id.lower()).exists():
        raise Conflict(f"Image ID {image_id} already exists!")
    now = timezone.now().replace(microsecond=0)
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
    except IntegrityError:
        # Lost a race with a concurrent create of the same id.
        raise Conflict(f"Image ID {image.id} already exists!") from None
    return image


def transition(image: Image, target: str, **changes) -> Image:
    """Move ``image`` to status ``target``: the only way a status ever changes.

    Checks the transition table, then writes with compare-and-set on the current status,
    so two racing requests cannot both win (Glance's ``from_state`` update).
    """
    current = image.status
    domain.check_transition(current, target, image.disk_format, image.container_format)
    if target == ImageStatus.QUEUED:
        for name in domain.DATA_FIELDS_CLEARED_ON_QUEUED:
            changes.setdefault(name, None)
    if target == ImageStatus.DELETED:
        changes.setdefault("deleted", True)
        changes.setdefault("deleted_at", timezone.now())
    changes["status"] = target
    changes["updated_at"] = timezone.now().replace(microsecond=0)
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


def delete_image(ctx: RequestContext, image_id: str) -> None:
    """Soft-delete an image (protected images refused)."""
    message = f"Failed to find image {image_id} to delete"
    with transaction.atomic():
        image = (
            Image.objects.select_for_update().filter(pk=image_id, deleted=False).first()
            if queries.is_lookup_id(image_id)
            else None
        )
        if image is None:
            raise NotFound(message)
        policy.enforce_image(ctx, "delete_image", image, message)
        if image.protected:
            raise Forbidden(f"Image {image.pk} is protected and cannot be deleted.")
        try:
            transition(image, ImageStatus.DELETED)
        except InvalidTransition:
            raise NotFound(message) from None
        # Glance soft-deletes the memberships with the image.
        ImageMember.objects.filter(image=image, deleted=False).update(
            deleted=True, updated_at=image.updated_at
        )
