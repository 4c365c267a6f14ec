"""Events: one call per domain change, from the services (never from views).

``emit`` captures the event when it happens (its id and time, the object's payload, the
caller, the request id and client address) and records it once the change commits
(``transaction.on_commit``), so a rolled-back change emits nothing. Recording writes:
- the audit record (append-only; catalog.models.AuditRecord);
- for the events Glance also sends, with CATALOG_NOTIFICATIONS_URL set, the notification's
  envelope into the outbox, built here once so a retried publish keeps its message id;
- one pending delivery per matching webhook subscription.
The worker's delivery job (catalog.services.event_delivery) sends the last two.

The helpers below (``image``, ``member``, ``task``, ``send``, ``refused``) are the one-line
hooks the services call.
"""

import logging
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from catalog import context
from catalog.context import RequestContext
from catalog.identity import signals
from catalog.models import (
    AuditRecord,
    Image,
    ImageMember,
    OutboxMessage,
    Task,
    WebhookDelivery,
    WebhookSubscription,
)
from catalog.reads import notifications as wire

logger = logging.getLogger(__name__)

INFO = "INFO"
ERROR = "ERROR"

# Events Glance has: only these become notifications (the others are audit and webhook
# events only: publication, quota refusals, logins).
GLANCE_GROUPS = ("image", "task", "metadef_")


@dataclass
class Event:
    event_type: str
    payload: object
    priority: str = INFO
    target_type: str = ""
    target_id: str = ""
    owner: str = ""
    changes: dict = field(default_factory=dict)
    detail: dict = field(default_factory=dict)
    user_id: str = ""
    user_name: str = ""
    project_id: str = ""
    request_id: str = ""
    client_address: str = ""
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=timezone.now)


def emit(ctx: RequestContext | None, event: Event) -> Event:
    """Record ``event`` (as ``ctx`` caused it) once the current transaction commits; at
    once outside a transaction."""
    if ctx is not None:
        event.user_id = ctx.user_id or ""
        event.user_name = ctx.user_name or ""
        event.project_id = ctx.project_id or ""
        event.request_id = ctx.request_id or ""
    event.client_address = event.client_address or context.client_address.get()
    # robust: a failure to record (logged) never turns a committed change into an error.
    transaction.on_commit(lambda: record(event), robust=True)
    return event


# --- One-line hooks -------------------------------------------------------------------------


def image(ctx, event_type: str, img: Image, *, changes=None, import_lists=False, **detail):
    """image.create / update / delete / prepare / upload / activate about ``img`` now."""
    # Only notifications carry Glance's payload: not built (two queries) when none is sent.
    payload = wire.image_payload(img, with_import_lists=import_lists) if _sent(event_type) else None
    return emit(
        ctx,
        Event(
            event_type,
            payload,
            target_type="image",
            target_id=img.pk,
            owner=img.owner or "",
            changes=changes or {},
            detail=detail,
        ),
    )


def imported(img: Image, size: int) -> None:
    """An import's data is in: image.upload, image.activate, image.update (as the worker)."""
    image(None, "image.upload", img, import_lists=True)
    image(None, "image.activate", img)
    image(
        None, "image.update", img, changes={"status": ["importing", "active"], "size": [None, size]}
    )


def image_failed(ctx, event_type: str, img: Image, message: str):
    """A failed step (Glance: image.upload at ERROR with a string payload)."""
    event = Event(
        event_type,
        message,
        priority=ERROR,
        target_type="image",
        target_id=img.pk,
        owner=img.owner or "",
        detail={"error": message},
    )
    return emit(ctx, event)


def member(ctx, event_type: str, row: ImageMember, img: Image | None = None, *, changes=None):
    owner = (img or row.image).owner or ""
    event = Event(
        event_type,
        wire.member_payload(row),
        target_type="image",
        target_id=row.image_id,
        owner=owner,
        changes=changes or {},
        detail={"member_id": row.member},
    )
    return emit(ctx, event)


def task(ctx, event_type: str, record: Task):
    priority = ERROR if record.status == Task.Status.FAILURE else INFO
    event = Event(
        event_type,
        wire.task_payload(record),
        priority=priority,
        target_type="task",
        target_id=record.pk,
        owner=record.owner or "",
        detail={"image_id": record.image_id, "message": record.message},
    )
    return emit(ctx, event)


def send(ctx, img: Image, sent: int, expected: int):
    """image.send: ``sent`` bytes of ``img`` went to ``ctx``'s caller (ERROR when fewer than
    ``expected``)."""
    payload = wire.send_payload(
        img, ctx.user_id if ctx else None, ctx.project_id if ctx else None, sent
    )
    event = Event(
        "image.send",
        payload,
        priority=INFO if sent >= expected else ERROR,
        target_type="image",
        target_id=img.pk,
        owner=img.owner or "",
        detail={"bytes_sent": sent, "expected": expected},
    )
    return emit(ctx, event)


def custom(ctx, event_type: str, *, target_type="", target_id="", owner="", changes=None, **detail):
    """An event Glance does not have (publication, logins): audit trail and webhooks only."""
    payload = {"target_type": target_type, "target_id": target_id, "owner": owner, **detail}
    event = Event(
        event_type,
        payload,
        target_type=target_type,
        target_id=target_id,
        owner=owner or "",
        changes=changes or {},
        detail=detail,
    )
    return emit(ctx, event)


# Refusals are raised inside the transaction they roll back: their events wait here until
# the request ends (flush_refusals, called by the request middleware and the worker).
_refusals: ContextVar[list | None] = ContextVar("event_refusals", default=None)


def refused(ctx, event_type: str, *, owner: str, target_id: str = "", **detail) -> None:
    """A refused request (quota.refused): recorded even though its transaction rolls back."""
    event = Event(
        event_type,
        {"owner": owner, "target_id": target_id, **detail},
        priority=ERROR,
        target_type="image" if target_id else "project",
        target_id=target_id,
        owner=owner or "",
        detail=detail,
    )
    if ctx is not None:
        event.user_id, event.user_name = ctx.user_id or "", ctx.user_name or ""
        event.project_id, event.request_id = ctx.project_id or "", ctx.request_id or ""
    event.client_address = context.client_address.get()
    if not transaction.get_connection().in_atomic_block:
        _record_safely(event)
        return
    pending = _refusals.get()
    if pending is None:
        pending = []
        _refusals.set(pending)
    if len(pending) < 100:  # a caller that never flushes (the worker) holds a bounded list
        pending.append(event)


def flush_refusals() -> None:
    pending = _refusals.get()
    if not pending:
        return
    _refusals.set(None)
    for event in pending:
        _record_safely(event)


def _record_safely(event: Event) -> None:
    try:
        record(event)
    except Exception:  # the caller's request has its own answer already
        logger.exception("Could not record event %s", event.event_type)


# --- Recording ----------------------------------------------------------------------------


def changed(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose values differ."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def notifications_enabled() -> bool:
    return bool(settings.CATALOG_NOTIFICATIONS_URL)


def _sent(event_type: str) -> bool:
    return notifications_enabled() and is_published(event_type)


def is_published(event_type: str) -> bool:
    """Whether a notification is sent for this event type (Glance's and not disabled)."""
    if not event_type.startswith(GLANCE_GROUPS):
        return False
    disabled = set(settings.CATALOG_NOTIFICATIONS_DISABLED)
    group = event_type.rsplit(".", 1)[0]
    return not ({event_type, group, event_type.split(".", 1)[0]} & disabled)


def record(event: Event) -> AuditRecord:
    with transaction.atomic():
        audit = AuditRecord.objects.create(
            event_id=event.event_id,
            event_type=event.event_type,
            priority=event.priority,
            occurred_at=event.occurred_at,
            user_id=event.user_id[:255],
            user_name=event.user_name[:255],
            project_id=event.project_id[:255],
            target_type=event.target_type,
            target_id=event.target_id,
            owner=event.owner,
            request_id=event.request_id[:80],
            client_address=event.client_address[:64],
            changes=event.changes,
            detail=event.detail,
        )
        if _sent(event.event_type):
            _to_outbox(event)
        _to_webhooks(audit)
    return audit


def _to_outbox(event: Event) -> None:
    # The id span bounds the row count from above and costs two index lookups (a COUNT(*)
    # would read the whole backlog for every event).
    span = OutboxMessage.objects.aggregate(low=Min("id"), high=Max("id"))
    waiting = span["high"] - span["low"] + 1 if span["high"] is not None else 0
    if waiting >= settings.CATALOG_NOTIFICATIONS_OUTBOX_MAX:
        logger.error(
            "Notification outbox full (%s waiting): %s %s dropped",
            settings.CATALOG_NOTIFICATIONS_OUTBOX_MAX,
            event.event_type,
            event.event_id,
        )
        return
    OutboxMessage.objects.create(
        message_id=event.event_id,
        event_type=event.event_type,
        priority=event.priority,
        body=wire.envelope(
            event.event_id, event.event_type, event.priority, event.payload, event.occurred_at
        ),
    )


def subscriptions_for(audit: AuditRecord):
    """The active subscriptions that receive ``audit``: catalog-wide ones, and those of the
    project that owns the object or caused the event (a project never hears about another
    project's objects it did not act on)."""
    projects = {p for p in (audit.owner, audit.project_id) if p}
    subs = WebhookSubscription.objects.filter(active=True).filter(
        Q(project_id="") | Q(project_id__in=projects)
    )
    return [s for s in subs if wants(s.event_types, audit.event_type)]


def wants(event_types: list, event_type: str) -> bool:
    if not event_types:
        return True
    parts = event_type.split(".")
    prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return bool(prefixes & set(event_types))


def _to_webhooks(audit: AuditRecord) -> None:
    subs = subscriptions_for(audit)
    WebhookDelivery.objects.bulk_create(WebhookDelivery(subscription=s, record=audit) for s in subs)


# --- Logins (catalog.identity.signals) --------------------------------------------------------


def _login_event(event_type: str, account: str, address: str) -> None:
    event = Event(
        event_type,
        {"account": account, "address": address},
        priority=INFO if event_type == "identity.login" else ERROR,
        target_type="user" if account else "address",
        target_id=account or address,
        detail={"account": account},
    )
    event.user_name, event.client_address = account, address
    emit(None, event)


def connect_identity_events() -> None:
    signals.login_succeeded.connect(
        lambda sender, account, address, **kw: _login_event("identity.login", account, address),
        weak=False,
        dispatch_uid="events-login",
    )
    signals.login_failed.connect(
        lambda sender, account, address, **kw: _login_event(
            "identity.login_failed", account, address
        ),
        weak=False,
        dispatch_uid="events-login-failed",
    )
    signals.locked_out.connect(
        lambda sender, account, address, **kw: _login_event("identity.lockout", account, address),
        weak=False,
        dispatch_uid="events-lockout",
    )


# --- Metadefs ------------------------------------------------------------------------------

_METADEF_PAYLOADS = {
    "metadef_property": wire.property_payload,
    "metadef_object": wire.object_payload,
    "metadef_tag": wire.tag_payload,
}


def metadef(ctx, event_type: str, namespace, row=None, *, old_name=None, children=False):
    """A metadef_* event: about ``namespace`` itself, or one of its children ``row``;
    ``children``: then one create event per child, in Glance's order."""
    if children:
        metadef(ctx, event_type, namespace)
        kinds = (
            ("metadef_resource_type", namespace.associations.select_related("resource_type")),
            ("metadef_object", namespace.defined_objects.all()),
            ("metadef_tag", namespace.tags.all()),
            ("metadef_property", namespace.properties.all()),
        )
        for group, rows in kinds:
            for child in rows.order_by("id"):
                metadef(ctx, f"{group}.create", namespace, child)
        return None
    deleted = event_type.endswith(".delete")
    when = timezone.now()
    group = event_type.rsplit(".", 1)[0]
    if group == "metadef_namespace":
        payload = wire.namespace_payload(namespace, old_name=old_name, deleted=deleted, when=when)
        target_id = namespace.namespace
    elif group == "metadef_resource_type":
        payload = wire.association_payload(namespace.namespace, row, deleted=deleted, when=when)
        target_id = f"{namespace.namespace}/{row.resource_type.name}"
    else:
        build = _METADEF_PAYLOADS[group]
        payload = build(namespace.namespace, row, old_name=old_name, deleted=deleted, when=when)
        target_id = f"{namespace.namespace}/{row.name}"
    changes = (
        {"name": [old_name, payload.get("name", payload.get("namespace"))]}
        if (old_name and old_name != payload.get("name", payload.get("namespace")))
        else {}
    )
    event = Event(
        event_type,
        payload,
        target_type="metadef",
        target_id=target_id,
        owner=namespace.owner or "",
        changes=changes,
    )
    return emit(ctx, event)
