"""Usage over time: each project's stored bytes and image count, one sample a day.

The worker runs ``record_daily_samples`` as a periodic job (catalog/worker/jobs.py); the
figures are the quota accounting's own (``quotas.usage_of``), so the chart and the quota
bars never disagree. A day's row is rewritten while the day lasts (upsert on project and
day), so several workers running the job at once write the same row.
"""

from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from catalog.identity.models import Project
from catalog.models import Image, UsageSample
from catalog.services import quotas

KEPT_DAYS = 400  # a little over a year of history


def _projects() -> set[str]:
    owners = Image.objects.filter(deleted=False).exclude(Q(owner__isnull=True) | Q(owner=""))
    return set(Project.objects.values_list("id", flat=True)) | set(
        owners.values_list("owner", flat=True).distinct()
    )


def record_daily_samples(now=None) -> int:
    """Write today's sample of every project; returns how many were written."""
    now = now or timezone.now()
    today = now.date()
    rows = [
        UsageSample(
            project_id=project_id,
            day=today,
            stored_bytes=quotas.usage_of(project_id, quotas.IMAGE_SIZE_TOTAL),
            image_count=quotas.usage_of(project_id, quotas.IMAGE_COUNT_TOTAL),
            recorded_at=now,
        )
        for project_id in sorted(_projects())
    ]
    UsageSample.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["project_id", "day"],
        update_fields=["stored_bytes", "image_count", "recorded_at"],
    )
    UsageSample.objects.filter(day__lt=today - timedelta(days=KEPT_DAYS)).delete()
    return len(rows)


def history(project_id: str, days: int = 30, today: date | None = None) -> list[UsageSample]:
    """The samples of the last ``days`` days, oldest first (days without one are missing)."""
    today = today or timezone.now().date()
    since = today - timedelta(days=days - 1)
    return list(UsageSample.objects.filter(project_id=project_id, day__gte=since).order_by("day"))
