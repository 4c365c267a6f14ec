"""The wire views of the API's resources: images (Glance's ``_format_image``), members,
tasks, stores, and Vitrine's publication requests and member invitations.

Plain functions rather than DRF serializers: list pages render up to 1000 images and this
path is the cost that matters (see bench/list.py). Lists never build model instances: they
read column values, properties and tags as tuples (two queries per page, whatever its size).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC

from django.conf import settings
from django.db import connection

from catalog.context import RequestContext
from catalog.data import stores
from catalog.domain import locations as location_rules
from catalog.models import (
    Image,
    ImageLocation,
    ImageMember,
    ImageProperty,
    ImageTag,
    PublicationRequest,
    Task,
)
from catalog.properties import HIDDEN_PROPERTIES, VIEW_ORDER
from catalog.reads import queries

SCHEMA_IMAGE = "/v2/schemas/image"
SCHEMA_MEMBER = "/v2/schemas/member"
SCHEMA_MEMBERS = "/v2/schemas/members"
# The image columns the view shows, in Glance's key order (after the custom properties);
# created_at, updated_at, tags, self, file and schema follow, as in VIEW_ORDER.
VIEW_COLUMNS = VIEW_ORDER[: VIEW_ORDER.index("id") + 1]
LIST_COLUMNS = (*VIEW_COLUMNS, "created_at", "updated_at")


def isotime(value) -> str | None:
    """Glance's timestamp format: UTC, whole seconds, ``Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_view(columns, properties, tags: list[str]) -> dict:
    """The view from a mapping of column values, (name, value) property pairs and tags."""
    view = {name: value for name, value in properties if name not in HIDDEN_PROPERTIES}
    for name in VIEW_COLUMNS:
        view[name] = columns[name]
    image_id = columns["id"]
    view["created_at"] = isotime(columns["created_at"])
    view["updated_at"] = isotime(columns["updated_at"])
    view["tags"] = tags
    view["self"] = f"/v2/images/{image_id}"
    view["file"] = f"/v2/images/{image_id}/file"
    view["schema"] = SCHEMA_IMAGE
    return view


def serialize_image(image: Image, ctx: RequestContext | None = None) -> dict:
    """The image as the API shows it: custom properties first, then the fixed keys. Location
    URLs only for a ``ctx`` that may see them (none: nobody)."""
    properties = ((p.name, p.value) for p in image.properties.all())
    view = image_view(image.__dict__, properties, [t.value for t in image.tags.all()])
    if queries.locations_shown():
        active = [loc for loc in image.locations.all() if loc.status == loc.ACTIVE]
        add_locations(view, active, ctx, image.owner)
    return view


def sees_locations(ctx: RequestContext | None, owner: str | None) -> bool:
    if ctx is None:
        return False
    return location_rules.may_see_locations(
        is_admin=ctx.is_admin,
        is_service=ctx.has_role("service"),
        is_owner=bool(owner) and owner == ctx.project_id,
    )


def add_locations(
    view: dict, locations: list[ImageLocation], ctx: RequestContext | None, owner: str | None
) -> None:
    """``direct_url`` and ``locations`` (Glance's show_image_direct_url and
    show_multiple_locations, both off by default) for admins, services and the owner's
    project, without URLs that carry credentials unless an admin asks
    (docs/glance-differences.md#location-exposure); ``stores`` in multi-store mode."""
    if sees_locations(ctx, owner):
        pairs = location_rules.shown_locations(
            [(loc.url, loc.metadata) for loc in locations], is_admin=ctx.is_admin
        )
        if settings.CATALOG_SHOW_IMAGE_DIRECT_URL and pairs:
            # The heaviest store's copy (Glance: store-weight order, equal weights: first).
            by_url = {loc.url: loc.store for loc in locations}
            heaviest = stores.by_weight(list(dict.fromkeys(by_url[url] for url, _ in pairs)))[0]
            view["direct_url"] = next(url for url, _ in pairs if by_url[url] == heaviest)
        if settings.CATALOG_SHOW_MULTIPLE_LOCATIONS:
            view["locations"] = [{"url": url, "metadata": meta} for url, meta in pairs]
    if stores.multiple_backends() and locations:
        # Glance (multi-store only): the ids of the stores holding the data.
        view["stores"] = ",".join(dict.fromkeys(loc.store for loc in locations))


def _properties_and_tags(ids: list[str]) -> tuple[dict, dict]:
    """The properties ((name, value) pairs) and tags of the images ``ids``, each in creation
    order, in one round trip. Plain SQL: the ORM spends about a millisecond building each
    of two such queries, a fifth of a list request (bench/data.py profiles it)."""
    properties, tags = defaultdict(list), defaultdict(list)
    marks = ", ".join(["%s"] * len(ids))
    quote = connection.ops.quote_name

    def columns(model, *names):
        return ", ".join(quote(model._meta.get_field(name).column) for name in names)

    def table(model):
        return f"{quote(model._meta.db_table)} WHERE {columns(model, 'image')} IN ({marks})"

    sql = (
        f"SELECT 0, {columns(ImageProperty, 'image', 'name', 'value', 'id')} "
        f"FROM {table(ImageProperty)} UNION ALL "
        f"SELECT 1, {columns(ImageTag, 'image', 'value')}, NULL, {columns(ImageTag, 'id')} "
        f"FROM {table(ImageTag)} ORDER BY 1, 5"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, *ids])
        for kind, image_id, name, value, _ in cursor.fetchall():
            if kind == 0:
                properties[image_id].append((name, value))
            else:
                tags[image_id].append(name)
    return properties, tags


def serialize_rows(rows: list[dict], ctx: RequestContext | None = None) -> list[dict]:
    """Views of ``LIST_COLUMNS`` rows, with their properties and tags in one query (and
    their locations in a second when those are shown)."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    properties, tags = _properties_and_tags(ids)
    views = [image_view(row, properties[row["id"]], tags[row["id"]]) for row in rows]
    if queries.locations_shown():
        locations = defaultdict(list)
        active = ImageLocation.objects.filter(image_id__in=ids, status=ImageLocation.ACTIVE)
        for location in active.order_by("position", "id"):
            locations[location.image_id].append(location)
        for view in views:
            add_locations(view, locations[view["id"]], ctx, view["owner"])
    return views


# --- Members ----------------------------------------------------------------------------------


def serialize_member(row: ImageMember) -> dict:
    """A membership as Glance shows it."""
    return {
        "member_id": row.member,
        "image_id": row.image_id,
        "status": row.status,
        "created_at": isotime(row.created_at),
        "updated_at": isotime(row.updated_at),
        "schema": SCHEMA_MEMBER,
    }


def member_list(rows: Iterable[ImageMember]) -> dict:
    return {"members": [serialize_member(r) for r in rows], "schema": SCHEMA_MEMBERS}


# --- Tasks ------------------------------------------------------------------------------------

# The keys of a task in the admins' task list (Glance's stub view).
TASK_STUB_KEYS = (
    "id",
    "type",
    "status",
    "owner",
    "expires_at",
    "created_at",
    "updated_at",
    "self",
    "schema",
)


def serialize_task(task: Task) -> dict:
    """Glance's task view, for both task routes (docs/glance-differences.md#image-tasks-view)."""
    return {
        "id": task.id,
        "type": task.type,
        "status": task.status,
        "owner": task.owner,
        "image_id": task.image_id,
        "request_id": task.request_id,
        "user_id": task.user_id,
        "input": task.input,
        "result": task.result,
        "message": task.message,
        "expires_at": isotime(task.expires_at),
        "created_at": isotime(task.created_at),
        "updated_at": isotime(task.updated_at),
        "self": f"/v2/tasks/{task.id}",
        "schema": "/v2/schemas/task",
    }


def task_stub(task: Task) -> dict:
    view = serialize_task(task)
    return {key: view[key] for key in TASK_STUB_KEYS}


def image_task_list(tasks: Iterable[Task]) -> dict:
    """``GET /v2/images/{id}/tasks``: full task views, no paging."""
    return {"tasks": [serialize_task(t) for t in tasks]}


def task_page_document(query, page: list[Task], limit: int) -> dict:
    """A page of ``GET /v2/tasks`` (stub views); ``next`` repeats ``query`` (the request's
    QueryDict) with the page's last task as the marker, when the page is full."""
    document = {
        "tasks": [task_stub(t) for t in page],
        "first": "/v2/tasks",
        "schema": "/v2/schemas/tasks",
    }
    if page and len(page) == limit:
        query = query.copy()
        query["marker"] = page[-1].id
        document["next"] = f"/v2/tasks?{query.urlencode()}"
    return document


# --- Stores (multi-store sites) ---------------------------------------------------------------


def store_list(*, detail: bool = False) -> dict:
    """``/v2/info/stores``; with ``detail``, each store's kind and settings too (admins)."""
    _, default_id = stores.store_config()
    views = []
    for store in stores.all_stores().values():
        view = {"id": store.id}
        if store.description:
            view["description"] = store.description
        if store.id == default_id:
            view["default"] = True
        if store.read_only:
            view["read-only"] = True
        if detail:
            view.update(
                {"type": store.kind, "weight": store.weight, "properties": store.describe()}
            )
        views.append(view)
    return {"stores": views}


# --- Vitrine's publication requests and member invitations ------------------------------------


def serialize_publication_request(request: PublicationRequest) -> dict:
    return {
        "id": request.pk,
        "image_id": request.image_id,
        "project_id": request.project_id,
        "status": request.status,
        "message": request.message,
        "requested_by": request.requested_by,
        "created_at": isotime(request.created_at),
        "decided_by": request.decided_by,
        "decided_at": isotime(request.decided_at),
        "decision_reason": request.decision_reason,
    }


def publication_request_detail(request: PublicationRequest, checks) -> dict:
    """One request with the checklist's verdicts on its image (``checks``: domain Checks)."""
    return {
        **serialize_publication_request(request),
        "direct": request.direct,
        "checks_overridden": list(request.checks_overridden or []),
        "checks": [check.as_dict() for check in checks],
    }


def publication_request_list(requests: Iterable[PublicationRequest]) -> dict:
    return {"publication_requests": [serialize_publication_request(r) for r in requests]}


def invitation_list(rows: Iterable[ImageMember]) -> dict:
    """Memberships of the caller's project (with their images fetched): each image with the
    membership to decide on."""
    return {
        "invitations": [
            {"image": serialize_image(r.image), "member": serialize_member(r)} for r in rows
        ]
    }
