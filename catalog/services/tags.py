"""Single-tag writes: ``PUT`` and ``DELETE /v2/images/{id}/tags/{tag}``."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.context import RequestContext
from catalog.domain import images as image_rules
from catalog.exceptions import NotFound, RequestEntityTooLarge
from catalog.models import Image, ImageTag
from catalog.services import events
from catalog.services.images import lock_image_for


def _locked_image(ctx: RequestContext, image_id: str) -> Image:
    return lock_image_for(
        ctx,
        image_id,
        "modify_image",
        not_found=f"Image {image_id} not found.",
        forbidden=f"Not allowed to update tags for image {image_id}.",
    )


def _touch(image: Image) -> None:
    Image.objects.filter(pk=image.pk).update(updated_at=timezone.now())


def add_tag(ctx: RequestContext, image_id: str, tag: str) -> None:
    """Add ``tag`` (idempotent). 400 for a tag the schema refuses, 413 over the tag quota."""
    image_rules.check_text(tag, "Tags")
    image_rules.validate_against_schema({"tags": [tag]})
    with transaction.atomic():
        image = _locked_image(ctx, image_id)
        if image.tags.filter(value=tag).exists():
            return
        try:
            image_rules.check_quota(
                "tags", image.tags.count() + 1, settings.CATALOG_IMAGE_TAG_QUOTA
            )
        except RequestEntityTooLarge as exc:
            raise RequestEntityTooLarge(
                f"Image tag limit exceeded for image {image.pk}: {exc.message}"
            ) from None
        ImageTag.objects.create(image=image, value=tag)
        _touch(image)
        events.image(ctx, "image.update", image, changes={"tags": [None, tag]})


def remove_tag(ctx: RequestContext, image_id: str, tag: str) -> None:
    """Remove ``tag``; 404 when the image does not have it."""
    with transaction.atomic():
        image = _locked_image(ctx, image_id)
        # No stored tag contains NUL (check_text refuses it), and PostgreSQL refuses NUL in a
        # query (a 500): such a tag is simply not there.
        deleted = image.tags.filter(value=tag).delete()[0] if "\x00" not in tag else 0
        if not deleted:
            raise NotFound("The resource could not be found.")
        _touch(image)
        events.image(ctx, "image.update", image, changes={"tags": [tag, None]})
