"""What the worker does with recorded events (catalog.worker.jobs PERIODIC): publish the
notification outbox to the broker, send due webhook deliveries, and drop audit records past
CATALOG_AUDIT_RETENTION_DAYS.

Each runs in the worker, never in a request: a broker or receiver that is down or slow only
delays deliveries. A notification keeps the message id it got when its event happened, on
every retry (at-least-once delivery; consumers deduplicate by ``message_id``).
"""

import json
import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import policy
from catalog.context import RequestContext
from catalog.data import amqp, urlsafety, webhooks
from catalog.exceptions import BadRequest, Forbidden
from catalog.models import AuditRecord, OutboxMessage, WebhookDelivery, WebhookSubscription
from catalog.reads import notifications as wire

logger = logging.getLogger(__name__)

OUTBOX_BATCH = 500
WEBHOOK_BATCH = 100
MAX_BACKOFF_SECONDS = 300
WEBHOOK_FIRST_WAIT = 10
MAX_URL_LENGTH = 2000  # WebhookSubscription.url


def _backoff(attempts: int, first: int = 1) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, first * 2 ** max(0, attempts - 1)))


PUBLISH_CLAIM_SECONDS = 60


def _claim_outbox(now) -> list:
    """Take the due messages for this run in a short transaction: moving their next attempt
    forward hides them from other workers while this one publishes (outside any
    transaction: on SQLite a transaction holds the write lock every request needs)."""
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=now)
            .order_by("id")[:OUTBOX_BATCH]
        )
        OutboxMessage.objects.filter(pk__in=[m.pk for m in due]).update(
            next_attempt_at=now + timedelta(seconds=PUBLISH_CLAIM_SECONDS)
        )
    return due


def publish_outbox() -> int:
    """Publish due outbox messages in order; the ones the broker took leave the outbox, the
    others wait 1 s, 2 s, 4 s... (at most 5 minutes) with the same body."""
    if not settings.CATALOG_NOTIFICATIONS_URL:
        return 0
    now = timezone.now()
    due = _claim_outbox(now)
    if not due:
        return 0
    messages = [(wire.routing_key(m.priority), m.body) for m in due]
    try:
        sent = amqp.publish(
            settings.CATALOG_NOTIFICATIONS_URL, settings.CATALOG_NOTIFICATIONS_EXCHANGE, messages
        )
        error = ""
    except amqp.PublishError as exc:
        sent, error = exc.sent, str(exc)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in due[:sent]]).delete()
    if error:
        failed = due[sent:]
        logger.warning(
            "Notification broker %s: %s (%d waiting)",
            amqp.shown(settings.CATALOG_NOTIFICATIONS_URL),
            error,
            len(failed),
        )
        later = timezone.now()
        for message in failed:
            message.attempts += 1
            message.last_error = error[:2000]
            message.next_attempt_at = later + _backoff(message.attempts)
        OutboxMessage.objects.bulk_update(failed, ["attempts", "last_error", "next_attempt_at"])
    return sent


def delivery_body(record: AuditRecord) -> bytes:
    return json.dumps(wire.serialize_record(record)).encode()


def deliver_webhooks() -> int:
    """Send the due webhook deliveries; a failed one waits 10 s, 20 s, 40 s... (at most
    5 minutes) and is failed after CATALOG_WEBHOOK_MAX_ATTEMPTS attempts.

    The job shares the worker's periodic thread with the recovery sweep: it starts no new
    delivery once CATALOG_WEBHOOK_TIMEOUT seconds have passed (slow receivers wait for the
    next run rather than hold the sweep up)."""
    now = timezone.now()
    budget_end = time.monotonic() + settings.CATALOG_WEBHOOK_TIMEOUT
    due = list(
        WebhookDelivery.objects.select_related("subscription", "record")
        .filter(status=WebhookDelivery.PENDING, next_attempt_at__lte=now)
        .order_by("id")[:WEBHOOK_BATCH]
    )
    done = 0
    for delivery in due:
        if time.monotonic() > budget_end:
            break
        # Claim it (another worker may be on it): only one moves next_attempt_at.
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.PENDING, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=now + timedelta(seconds=settings.CATALOG_WEBHOOK_TIMEOUT * 3))
        if claimed:
            done += _attempt(delivery)
    return done


def _attempt(delivery: WebhookDelivery) -> int:
    subscription, record = delivery.subscription, delivery.record
    status, error = None, ""
    try:
        status = webhooks.post(
            subscription.url,
            delivery_body(record),
            subscription.secret,
            {"X-Vitrine-Event": record.event_type, "X-Vitrine-Delivery": str(delivery.pk)},
            timeout=settings.CATALOG_WEBHOOK_TIMEOUT,
        )
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except urlsafety.UnsafeURL as exc:
        error = exc.message
    except Exception as exc:  # network errors of every kind: retried
        error = f"{type(exc).__name__}: {exc}"
    delivery.attempts += 1
    delivery.last_status_code = status
    delivery.last_error = error[:2000]
    now = timezone.now()
    if not error:
        delivery.status, delivery.delivered_at = WebhookDelivery.DELIVERED, now
    elif delivery.attempts >= settings.CATALOG_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.FAILED
    else:
        delivery.next_attempt_at = now + _backoff(delivery.attempts, WEBHOOK_FIRST_WAIT)
    delivery.save()
    return 1


def purge_audit() -> int:
    """Delete audit records older than CATALOG_AUDIT_RETENTION_DAYS (0: keep them all)."""
    days = settings.CATALOG_AUDIT_RETENTION_DAYS
    if not days:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    removed = 0
    while True:
        ids = list(
            AuditRecord.objects.filter(occurred_at__lt=cutoff).values_list("pk", flat=True)[:1000]
        )
        if not ids:
            return removed
        removed += (
            AuditRecord.objects.filter(pk__in=ids).delete()[1].get(AuditRecord._meta.label, 0)
        )


def run_delivery() -> dict:
    """The worker's periodic delivery job: notifications, then webhooks."""
    return {"notifications": publish_outbox(), "webhooks": deliver_webhooks()}


# --- Subscriptions ------------------------------------------------------------------------


def subscribe(
    ctx: RequestContext, url: str, event_types=(), *, catalog_wide: bool = False
) -> WebhookSubscription:
    """Subscribe ``url`` for ``ctx``'s project (members), or catalog-wide (admins only).
    The URL must pass the web-download URL rules now (and again at every delivery)."""
    policy.enforce(ctx, "manage_webhooks")
    if catalog_wide and not ctx.is_admin:
        raise Forbidden("Only admins may subscribe to the events of the whole catalog.")
    if not catalog_wide and not ctx.project_id:
        raise Forbidden("Subscribing needs a project.")
    if not isinstance(url, str) or not url:
        raise BadRequest("A webhook needs a URL.")
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest(f"A webhook URL has at most {MAX_URL_LENGTH} characters.")
    urlsafety.check_url(url)
    types = [t.strip()[:64] for t in event_types if isinstance(t, str) and t.strip()][:50]
    return WebhookSubscription.objects.create(
        project_id="" if catalog_wide else ctx.project_id,
        url=url,
        event_types=types,
        secret=secrets.token_hex(32),
        created_by=ctx.user_name or ctx.user_id or "",
    )


def unsubscribe(ctx: RequestContext, subscription_id) -> None:
    policy.enforce(ctx, "manage_webhooks")
    subscription = None
    if str(subscription_id).isdigit() and len(str(subscription_id)) < 19:
        subscription = WebhookSubscription.objects.filter(pk=int(subscription_id)).first()
    if subscription is None or not (
        ctx.is_admin or (subscription.project_id and subscription.project_id == ctx.project_id)
    ):
        raise Forbidden("Not allowed to remove this subscription.")
    subscription.active = False
    subscription.save(update_fields=["active"])
