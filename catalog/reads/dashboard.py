"""The figures of the catalog's home page (a project dashboard): counts only, one query each."""

from django.db.models import Count, Q

from catalog.choices import PublicationStatus
from catalog.context import RequestContext
from catalog.models import AuditRecord, Image, PublicationRequest


def images_by_status(project_id: str) -> list[tuple[str, int]]:
    """The project's own images by status, most numerous first."""
    rows = (
        Image.objects.filter(owner=project_id, deleted=False)
        .values("status")
        .annotate(count=Count("id"))
        .order_by("-count", "status")
    )
    return [(row["status"], row["count"]) for row in rows]


def pending_publication_requests(ctx: RequestContext) -> int:
    """What waits for a decision: every pending request for an admin (who decides), the
    project's own otherwise."""
    pending = PublicationRequest.objects.filter(
        status=PublicationStatus.PENDING, image__deleted=False
    )
    if not ctx.is_admin:
        pending = pending.filter(project_id=ctx.project_id)
    return pending.count()


def recent_activity(project_id: str, limit: int = 5) -> list[AuditRecord]:
    """The project's latest audit records: changes to its objects and its own actions (the
    activity page has the rest)."""
    records = AuditRecord.objects.filter(Q(owner=project_id) | Q(project_id=project_id))
    return list(records.order_by("-id")[:limit])
