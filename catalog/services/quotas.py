"""Per-project quota overrides, set by admins (Django admin and ``manage.py project_quota``)."""

from django.db import transaction
from django.utils import timezone

from catalog.exceptions import BadRequest
from catalog.models import ProjectQuota
from catalog.properties import MAX_DB_BIGINT
from catalog.quotas import QUOTA_NAMES

# The largest limit the BigIntegerField columns store.
MAX_LIMIT = MAX_DB_BIGINT


def set_project_quota(project_id: str, **limits) -> ProjectQuota:
    """Override some of ``project_id``'s limits. A value of None returns that limit to the
    default from settings; -1 means unlimited; limits not named are kept."""
    if not project_id:
        raise BadRequest("A project id is required.")
    unknown = set(limits) - set(QUOTA_NAMES)
    if unknown:
        raise BadRequest(f"Unknown quota(s): {', '.join(sorted(unknown))}")
    for name, value in limits.items():
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < -1
        ):
            raise BadRequest(f"{name} must be an integer of at least -1 (unlimited), or unset.")
        if value is not None and value > MAX_LIMIT:
            # Larger values do not fit the column: the write would crash (OverflowError).
            raise BadRequest(f"{name} must be at most {MAX_LIMIT}.")
    with transaction.atomic():
        quota, _ = ProjectQuota.objects.select_for_update().get_or_create(project_id=project_id)
        for name, value in limits.items():
            setattr(quota, name, value)
        quota.updated_at = timezone.now()
        quota.save()
    return quota
