"""Storage quota arithmetic shared by every path that writes image data.

Glance's static ``user_storage_quota``: a byte budget per owner project, 0 meaning unlimited.
Usage is the size of the owner's live images (deleted and killed ones excluded), not counting
the image being written. Per-project limits (image_size_total and friends) extend this module.
"""

from django.conf import settings
from django.db.models import Sum

from .choices import ImageStatus
from .models import Image

UNLIMITED = None


def storage_limit(owner: str | None) -> int | None:
    """The byte budget of ``owner``; None when unlimited."""
    limit = settings.CATALOG_USER_STORAGE_QUOTA
    return None if limit <= 0 else limit


def storage_used(owner: str | None, exclude_image_id: str | None = None) -> int:
    images = Image.objects.filter(owner=owner, deleted=False, size__gt=0).exclude(
        status__in=[ImageStatus.KILLED, ImageStatus.DELETED, ImageStatus.PENDING_DELETE]
    )
    if exclude_image_id is not None:
        images = images.exclude(pk=exclude_image_id)
    return images.aggregate(total=Sum("size"))["total"] or 0


def storage_remaining(owner: str | None, exclude_image_id: str | None = None) -> int | None:
    """Bytes ``owner`` may still store (None: unlimited). Never negative."""
    limit = storage_limit(owner)
    if limit is None:
        return None
    return max(0, limit - storage_used(owner, exclude_image_id))
