"""The Django admin for events: the audit trail (read-only, searchable, exported as CSV or
JSON lines), the notification outbox's backlog, webhook subscriptions and their deliveries.
No page adds, edits or deletes an audit record."""

import csv

from django.contrib import admin
from django.http import StreamingHttpResponse

from catalog.admin.base import ScopedModelAdmin, run_on_each
from catalog.models import AuditRecord, OutboxMessage, WebhookDelivery, WebhookSubscription
from catalog.reads import events as event_reads
from catalog.reads import webhooks as webhook_reads
from catalog.services import event_delivery


class ReadOnly:
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _Echo:
    def write(self, value):
        return value


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnly, ScopedModelAdmin):
    """The audit trail: who did what to which object, from where, with before/after."""

    def scope(self, request, ctx, queryset):
        return queryset.filter(pk__in=event_reads.records_visible_to(ctx).values("pk"))

    list_display = [
        "occurred_at",
        "event_type",
        "priority",
        "user_name",
        "project_id",
        "target_type",
        "target_id",
        "client_address",
    ]
    list_filter = ["event_type", "priority", "target_type", "occurred_at"]
    search_fields = ["event_id", "target_id", "user_id", "user_name", "project_id", "owner",
                     "request_id", "client_address"]  # fmt: skip
    date_hierarchy = "occurred_at"
    actions = ["export_csv", "export_json_lines"]
    readonly_fields = [f.name for f in AuditRecord._meta.fields]

    def get_actions(self, request):
        # The stock "delete selected" never applies: records are append-only.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Export selected records as CSV")
    def export_csv(self, request, queryset):
        writer = csv.writer(_Echo())
        rows = (writer.writerow(event_reads.csv_row(r)) for r in queryset.order_by("id").iterator())
        header = writer.writerow(event_reads.CSV_COLUMNS)
        response = StreamingHttpResponse(_chain(header, rows), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response

    @admin.action(description="Export selected records as JSON lines")
    def export_json_lines(self, request, queryset):
        lines = (event_reads.json_line(r) for r in queryset.order_by("id").iterator())
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
        response["Content-Disposition"] = 'attachment; filename="audit.jsonl"'
        return response


def _chain(first, rest):
    yield first
    yield from rest


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnly, ScopedModelAdmin):
    """Notifications waiting for the broker (the backlog): admins only."""

    list_display = ["message_id", "event_type", "priority", "created_at", "attempts",
                    "next_attempt_at", "last_error"]  # fmt: skip
    list_filter = ["event_type", "priority"]
    search_fields = ["message_id", "event_type"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]


class DeliveryInline(ReadOnly, admin.TabularInline):
    model = WebhookDelivery
    fields = ["record", "status", "attempts", "last_status_code", "last_error", "delivered_at"]
    readonly_fields = fields
    ordering = ["-id"]
    extra = 0
    max_num = 0


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ScopedModelAdmin):
    """Subscriptions are made through the API or the catalog UI (the URL rules apply);
    here they are seen and deactivated."""

    def scope(self, request, ctx, queryset):
        return queryset.filter(pk__in=webhook_reads.subscriptions_of(ctx).values("pk"))

    list_display = ["url", "project_id", "event_types", "active", "created_by", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "project_id", "created_by"]
    readonly_fields = ["url", "project_id", "event_types", "active", "created_by", "created_at"]
    exclude = ["secret"]
    inlines = [DeliveryInline]
    actions = ["deactivate"]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Deactivate selected subscriptions")
    def deactivate(self, request, queryset):
        run_on_each(
            self, request, queryset,
            lambda ctx, s: event_delivery.unsubscribe(ctx, s.pk), "deactivated", "subscription(s)",
        )  # fmt: skip


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly, ScopedModelAdmin):
    def scope(self, request, ctx, queryset):
        return queryset.filter(subscription__in=webhook_reads.subscriptions_of(ctx))

    list_display = ["record", "subscription", "status", "attempts", "last_status_code",
                    "next_attempt_at", "delivered_at"]  # fmt: skip
    list_filter = ["status"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
