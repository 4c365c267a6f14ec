"""Webhook subscriptions and their deliveries as the API and the UI show them."""

from django.db.models import QuerySet

from catalog import policy
from catalog.context import RequestContext
from catalog.models import WebhookDelivery, WebhookSubscription
from catalog.reads.representations import isotime


def subscriptions_of(ctx: RequestContext) -> QuerySet:
    policy.enforce(ctx, "manage_webhooks")
    subscriptions = WebhookSubscription.objects.filter(active=True)
    if ctx.is_admin:
        return subscriptions
    return subscriptions.filter(project_id=ctx.project_id)


def deliveries_of(ctx: RequestContext, limit: int = 100) -> list:
    subscriptions = subscriptions_of(ctx)
    return list(
        WebhookDelivery.objects.filter(subscription__in=subscriptions)
        .select_related("subscription", "record")
        .order_by("-id")[:limit]
    )


def serialize(subscription: WebhookSubscription, *, with_secret: bool = False) -> dict:
    view = {
        "id": subscription.pk,
        "url": subscription.url,
        "project_id": subscription.project_id,
        "event_types": subscription.event_types,
        "active": subscription.active,
        "created_by": subscription.created_by,
        "created_at": isotime(subscription.created_at),
    }
    if with_secret:
        view["secret"] = subscription.secret
    return view
