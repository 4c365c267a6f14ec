"""Closing an image's pending publication requests when the image goes away.

Its own module because ``services/images.py:delete_image`` calls it, and
``services/publication.py`` already depends on ``services/images.py`` (through
``visibility.py``): a request about a deleted image can never be decided, so it is closed as
``withdrawn`` in the same transaction as the delete.
"""

from django.utils import timezone

from catalog.choices import PublicationStatus
from catalog.models import PublicationRequest

WITHDRAWN_REASON = "The image was deleted."


def withdraw_publication_requests(image_id: str, reason: str = WITHDRAWN_REASON) -> int:
    """Close the image's pending publication requests as ``withdrawn``; how many closed."""
    return PublicationRequest.objects.filter(
        image_id=image_id, status=PublicationStatus.PENDING
    ).update(
        status=PublicationStatus.WITHDRAWN,
        decided_at=timezone.now().replace(microsecond=0),
        decision_reason=reason,
    )
