"""The audit trail in the HTML catalog: the History panel of an image page, and the project
activity page (recent records, filtered by event type; the project's webhook subscriptions
and their deliveries, and a form to add one). Records are read-only here as everywhere."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from catalog import policy
from catalog.exceptions import CatalogError
from catalog.reads import events as event_reads
from catalog.reads import webhooks as webhook_reads
from catalog.services import event_delivery
from catalog.ui.session import catalog_view

PAGE = 200


def image_history(ctx, image_id: str) -> list:
    """The image's records the caller may read (none for a reader-only role)."""
    if not policy.check(ctx, "get_events"):
        return []
    return event_reads.image_history(ctx, image_id)


@catalog_view
def activity(request, ctx):
    rows, subscriptions, deliveries = [], [], []
    wanted = request.GET.get("event_type", "").strip()
    try:
        records = event_reads.records_visible_to(ctx)
        if wanted:
            records = event_reads.filtered(records, {"event_type": wanted})
        rows = list(records.order_by("-id")[:PAGE])
        subscriptions = list(webhook_reads.subscriptions_of(ctx))
        deliveries = webhook_reads.deliveries_of(ctx, 50)
    except CatalogError as exc:
        messages.error(request, exc.message)
    context = {
        "rows": rows,
        "event_type": wanted,
        "subscriptions": subscriptions,
        "deliveries": deliveries,
    }
    return render(request, "catalog/activity.html", context)


@require_POST
@catalog_view
def add_webhook(request, ctx):
    types = [t for t in request.POST.get("event_types", "").replace(",", " ").split() if t]
    try:
        created = event_delivery.subscribe(
            ctx,
            request.POST.get("url", "").strip(),
            types,
            catalog_wide=request.POST.get("catalog_wide") == "on",
        )
        messages.success(
            request, f"Webhook added. Its signing secret (shown once): {created.secret}"
        )
    except CatalogError as exc:
        messages.error(request, exc.message)
    return redirect("ui:activity")
