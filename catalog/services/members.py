"""Image sharing: the members of shared images, and each member project's decision.

Glance's rules (``api/v2/image_members.py`` with the default policies): the owner project's
members add and remove members; only the member project (or an admin) decides the status; a
member sees only its own row; only ``shared`` images have members. Being a member never grants
any write on the image: every write rule needs the owner project.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog import policy
from catalog.choices import MemberStatus, Visibility
from catalog.context import RequestContext
from catalog.domain import images as image_rules
from catalog.domain import sharing
from catalog.exceptions import Conflict, Forbidden, NotFound, RequestEntityTooLarge
from catalog.models import Image, ImageMember
from catalog.reads import queries
from catalog.services import events


def _now():
    return timezone.now()


def _image_for(ctx: RequestContext, image_id: str, rule: str, *, lock: bool = False) -> Image:
    """The image, once ``ctx`` passes ``rule`` (404 when it cannot see the image at all)."""
    message = f"Image {image_id} not found."
    return queries.get_visible_image(ctx, image_id, message, rule, for_update=lock)


def _rows_seen_by(ctx: RequestContext, image: Image) -> QuerySet:
    """The live member rows of ``image`` that ``ctx`` may see: all of them for the owner
    project and admins, only its own row for a member (Glance's ``_image_member_find``)."""
    rows = ImageMember.objects.filter(image=image, deleted=False)
    if ctx.is_admin or (ctx.project_id is not None and ctx.project_id == image.owner):
        return rows
    return rows.filter(member=ctx.project_id)


def _find_member(ctx: RequestContext, image: Image, member_id: str, *, lock=False):
    rows = _rows_seen_by(ctx, image)
    row = None
    if "\x00" not in member_id:  # PostgreSQL refuses NUL in a query; no id contains one
        row = (rows.select_for_update() if lock else rows).filter(member=member_id).first()
    if row is None:
        raise NotFound(f"{member_id} not found in the member list of the image {image.pk}.")
    return row


def list_members(ctx: RequestContext, image_id: str) -> list[ImageMember]:
    image = _image_for(ctx, image_id, "get_members")
    if image.visibility != Visibility.SHARED:
        raise Forbidden(
            f"Not allowed to list members for image {image_id}: Only shared images have members."
        )
    return list(_rows_seen_by(ctx, image).order_by("created_at", "id"))


def get_member(ctx: RequestContext, image_id: str, member_id: str) -> ImageMember:
    image = _image_for(ctx, image_id, "get_member")
    if image.visibility != Visibility.SHARED:
        # Glance turns this refusal into a 404.
        raise NotFound("Only shared images have members.")
    return _find_member(ctx, image, member_id)


def add_member(ctx: RequestContext, image_id: str, member_id: str) -> ImageMember:
    """Share ``image_id`` with project ``member_id`` (status ``pending``).

    A previously removed membership row is reused, as Glance does.
    """
    member_id = sharing.check_member_id(member_id)
    with transaction.atomic():
        # The lock serialises concurrent adds, so the member quota cannot be overrun.
        image = _image_for(ctx, image_id, "add_member", lock=True)
        if image.visibility != Visibility.SHARED:
            raise Forbidden(f"Not allowed to create members for image {image_id}.")
        rows = ImageMember.objects.filter(image=image)
        existing = rows.filter(member=member_id).first()
        # Duplicates are refused before the quota is counted (Glance counts first, and so
        # answers 413 with a wrong "Attempted" figure for a member already there).
        if existing is not None and not existing.deleted:
            raise Conflict(f"Member {member_id} is duplicated for image {image_id}")
        try:
            image_rules.check_quota(
                "members",
                rows.filter(deleted=False).count() + 1,
                settings.CATALOG_IMAGE_MEMBER_QUOTA,
            )
        except RequestEntityTooLarge as exc:
            raise RequestEntityTooLarge(
                f"Image member limit exceeded for image {image_id}: {exc.message}"
            ) from None
        now = _now()
        if existing is not None:
            existing.deleted = False
            existing.status = MemberStatus.PENDING
            existing.created_at = existing.updated_at = now
            existing.save(update_fields=["deleted", "status", "created_at", "updated_at"])
            events.member(ctx, "image.member.create", existing, image)
            return existing
        try:
            with transaction.atomic():
                row = ImageMember.objects.create(
                    image=image, member=member_id, created_at=now, updated_at=now
                )
        except IntegrityError:
            raise Conflict(f"Member {member_id} is duplicated for image {image_id}") from None
        events.member(ctx, "image.member.create", row, image)
        return row


def set_member_status(ctx: RequestContext, image_id: str, member_id: str, status) -> ImageMember:
    """The member project's decision: ``pending``, ``accepted`` or ``rejected``, any order."""
    with transaction.atomic():
        image = _image_for(ctx, image_id, "modify_member")
        if image.visibility != Visibility.SHARED:
            raise Forbidden(f"Not allowed to update members for image {image_id}.")
        row = _find_member(ctx, image, member_id, lock=True)
        before = row.status
        row.status = sharing.check_member_status(status)
        row.updated_at = _now()
        row.save(update_fields=["status", "updated_at"])
        events.member(
            ctx, "image.member.update", row, image, changes={"status": [before, row.status]}
        )
        return row


def remove_member(ctx: RequestContext, image_id: str, member_id: str) -> None:
    """Stop sharing with ``member_id`` (a soft delete: the row is reused if re-added)."""
    with transaction.atomic():
        image = _image_for(ctx, image_id, "delete_member")
        if image.visibility != Visibility.SHARED:
            raise Forbidden(f"Not allowed to delete members for image {image_id}.")
        row = _find_member(ctx, image, member_id, lock=True)
        row.deleted = True
        row.updated_at = _now()
        row.save(update_fields=["deleted", "updated_at"])
        events.member(ctx, "image.member.delete", row, image)


def invitations(ctx: RequestContext, status: str | None = MemberStatus.PENDING) -> QuerySet:
    """Memberships of the caller's project in others' shared images, with their images.

    ``status`` None means every status. This is what a project's members look at to accept
    or reject what others share with them.
    """
    policy.enforce(ctx, "get_images")
    rows = ImageMember.objects.filter(
        member=ctx.project_id,
        deleted=False,
        image__deleted=False,
        image__visibility=Visibility.SHARED,
    ).exclude(image__owner=ctx.project_id)
    if status is not None:
        rows = rows.filter(status=status)
    return (
        rows.select_related("image")
        .prefetch_related("image__properties", "image__tags")
        .order_by("-created_at", "-id")
    )
