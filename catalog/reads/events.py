"""Reading the audit trail: who sees which records, the list filters and marker pages of
``/v2/x-vitrine/events``, the UI's History panel and activity page, and the exports."""

import json
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from catalog import policy
from catalog.context import RequestContext
from catalog.exceptions import BadRequest
from catalog.models import AuditRecord
from catalog.reads.notifications import serialize_record

FILTERS = ("event_type", "target_type", "target_id", "user_id", "project_id", "request_id")


def records_visible_to(ctx: RequestContext) -> QuerySet:
    """Admins: every record. Others: records about their project's objects, and their
    project's own actions (a member accepting another project's share)."""
    policy.enforce(ctx, "get_events")
    records = AuditRecord.objects.all()
    if ctx.is_admin:
        return records
    return records.filter(Q(owner=ctx.project_id) | Q(project_id=ctx.project_id))


def _instant(name: str, raw: str) -> datetime:
    try:
        # A "+" in a query string arrives as a space.
        value = parse_datetime(raw.replace(" ", "+")) if raw else None
    except ValueError:  # well-formed but impossible (month 13)
        value = None
    if value is None:
        raise BadRequest(f"{name} must be an ISO 8601 date and time.")
    return value


def filtered(records: QuerySet, query) -> QuerySet:
    """Apply the list filters: exact fields (``event_type`` also takes a group such as
    ``image`` or ``image.member``), and ``since``/``until`` on the event time."""
    for name in FILTERS:
        value = query.get(name)
        if value is None:
            continue
        if "\x00" in value:
            raise BadRequest(f"Invalid {name}.")
        if name == "event_type":
            records = records.filter(Q(event_type=value) | Q(event_type__startswith=f"{value}."))
        else:
            records = records.filter(**{name: value})
    if query.get("since") is not None:
        records = records.filter(occurred_at__gte=_instant("since", query["since"]))
    if query.get("until") is not None:
        records = records.filter(occurred_at__lt=_instant("until", query["until"]))
    return records


def page(records: QuerySet, *, marker: str | None, limit: int, ascending=False) -> list:
    """One page after ``marker`` (an event id the caller can see), newest first by default."""
    order = "id" if ascending else "-id"
    if marker is not None:
        position = records.filter(event_id=marker).values_list("pk", flat=True).first()
        if position is None:
            raise BadRequest(f"Marker {marker} could not be found.")
        records = records.filter(pk__gt=position) if ascending else records.filter(pk__lt=position)
    return list(records.order_by(order)[:limit])


def page_document(path: str, query, rows: list, limit: int) -> dict:
    params = {k: v for k, v in query.items() if k != "marker"}
    first = path + (f"?{urlencode(params)}" if params else "")
    document = {"events": [serialize_record(r) for r in rows], "first": first}
    if rows and len(rows) == limit:
        document["next"] = f"{path}?{urlencode({**params, 'marker': rows[-1].event_id})}"
    return document


def image_history(ctx: RequestContext, image_id: str) -> list:
    """The records about one image, oldest first (the UI's History panel)."""
    return list(records_visible_to(ctx).filter(target_id=image_id).order_by("id"))


CSV_COLUMNS = (
    "id", "occurred_at", "event_type", "priority", "user_id", "user_name", "project_id",
    "target_type", "target_id", "owner", "request_id", "client_address", "changes", "detail",
)  # fmt: skip


def csv_row(record: AuditRecord) -> list:
    view = serialize_record(record)
    return [
        json.dumps(view[c], sort_keys=True) if c in ("changes", "detail") else view[c]
        for c in CSV_COLUMNS
    ]


def json_line(record: AuditRecord) -> str:
    return json.dumps(serialize_record(record), sort_keys=True) + "\n"
