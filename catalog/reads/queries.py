"""Read helpers shared by the API, the UI and the services."""

from datetime import UTC, datetime

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from catalog import ids, policy
from catalog.context import RequestContext
from catalog.domain import listing
from catalog.exceptions import BadRequest, NotFound
from catalog.models import Image, ImageLocation, ImageProperty, ImageTag, Task


def locations_shown() -> bool:
    """Whether image views carry anything read from locations (direct_url, locations,
    stores): only then are locations fetched."""
    return bool(
        settings.CATALOG_SHOW_IMAGE_DIRECT_URL
        or settings.CATALOG_SHOW_MULTIPLE_LOCATIONS
        or settings.CATALOG_STORES
    )


def images_with_details() -> QuerySet:
    """Images with their tags and properties fetched in two extra queries, whatever the count
    (a third for their locations when those are shown)."""
    lookups = [
        Prefetch("properties", queryset=ImageProperty.objects.only("image_id", "name", "value")),
        Prefetch("tags", queryset=ImageTag.objects.only("image_id", "value")),
    ]
    if locations_shown():
        lookups.append(
            Prefetch("locations", queryset=ImageLocation.objects.filter(status="active"))
        )
    return Image.objects.prefetch_related(*lookups)


def lock_live_image(image_id: str) -> Image | None:
    """The live image row, locked until the transaction ends (call inside
    ``transaction.atomic``); None when there is none or the id cannot be one."""
    if not ids.is_uuid(image_id):
        return None
    return Image.objects.select_for_update().filter(pk=image_id, deleted=False).first()


def find_image(image_id: str, queryset: QuerySet | None = None) -> Image | None:
    """The live image with this id, or None. Malformed ids simply find nothing (Glance: 404)."""
    if not ids.is_uuid(image_id):
        return None
    queryset = images_with_details() if queryset is None else queryset
    return queryset.filter(pk=image_id, deleted=False).first()


def get_visible_image(
    ctx: RequestContext,
    image_id: str,
    message: str | None = None,
    rule: str = "get_image",
    for_update: bool = False,
) -> Image:
    """The image if ``ctx`` may see it and passes ``rule``; 404 otherwise (never leaks).

    ``for_update`` locks the row until the caller's transaction ends.
    """
    message = message or f"No image found with ID {image_id}"
    image = find_image(image_id, images_with_details().select_for_update() if for_update else None)
    if image is None:
        raise NotFound(message)
    policy.enforce_image(ctx, rule, image, message)
    return image


# --- Tasks (/v2/tasks) ------------------------------------------------------------------------


def tasks_of_image(ctx: RequestContext, image_id: str) -> QuerySet:
    """The tasks of an image the caller may see (its own project's, or all for admins),
    newest first (``GET /v2/images/{id}/tasks`` and the image page)."""
    tasks = Task.objects.filter(image_id=image_id).order_by("-created_at", "-id")
    return tasks if ctx.is_admin else tasks.filter(owner=ctx.project_id)


def task_owner(task_id: str) -> str | None:
    """The project a task works for (the worker's per-project limit)."""
    return Task.objects.filter(pk=task_id).values_list("owner", flat=True).first()


def task_started(task_id: str) -> bool:
    return not Task.objects.filter(pk=task_id, status=Task.Status.PENDING).exists()


def running_imports(owner: str) -> int:
    return Task.objects.filter(owner=owner, status=Task.Status.PROCESSING).count()


def get_task(task_id: str) -> Task:
    """One task (``GET /v2/tasks/{id}``, admins); 404 when there is none."""
    task = Task.objects.filter(pk=task_id).first() if ids.is_uuid(task_id) else None
    if task is None:
        raise NotFound(f"Task with the given id {task_id} not found")
    return task


TASK_SORT_KEYS = ("id", "type", "status", "created_at", "updated_at", "expires_at")
# expires_at is null until a task ends: such tasks sort as the oldest, on every database.
_NO_EXPIRY = datetime(1970, 1, 1, tzinfo=UTC)


def task_page(params) -> tuple[list, int]:
    """A page of tasks for ``GET /v2/tasks`` (filters, sort, keyset marker) and its limit."""
    listing.check_query_text(params)
    tasks = Task.objects.all()
    status, kind = params.get("status"), params.get("type")
    if status is not None:
        if status not in Task.Status.values:
            raise BadRequest(f"Invalid status value: {status}")
        tasks = tasks.filter(status=status)
    if kind is not None:
        tasks = tasks.filter(type=kind)
    sort_key, sort_dir = params.get("sort_key", "created_at"), params.get("sort_dir", "desc")
    if sort_key not in TASK_SORT_KEYS:
        raise BadRequest(f"Invalid sort key: {sort_key}")
    if sort_dir not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction: {sort_dir}")
    key = Coalesce(sort_key, Value(_NO_EXPIRY)) if sort_key == "expires_at" else F(sort_key)
    tasks = tasks.annotate(sort_value=key)
    prefix = "-" if sort_dir == "desc" else ""
    tasks = tasks.order_by(f"{prefix}sort_value", f"{prefix}id")
    marker = params.get("marker")
    if marker is not None:
        row = tasks.filter(pk=marker).values("sort_value", "id").first()
        if row is None:
            raise BadRequest(f"Invalid marker: {marker}")
        op = "lt" if sort_dir == "desc" else "gt"
        tasks = tasks.filter(
            Q(**{f"sort_value__{op}": row["sort_value"]})
            | Q(sort_value=row["sort_value"], **{f"id__{op}": row["id"]})
        )
    limit = listing.parse_limit(params.get("limit"), default=25, maximum=1000)
    return list(tasks[:limit]), limit
