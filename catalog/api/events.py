"""Vitrine's audit trail and webhooks over the API (outside Glance's paths):

- ``GET /v2/x-vitrine/events``: audit records (admins: all; others: their project's), newest
  first, filtered by ``event_type`` (a type or a group), ``target_type``, ``target_id``,
  ``user_id``, ``project_id``, ``request_id``, ``since``, ``until``; marker pages
  (``limit``, ``marker`` = an event id, ``sort_dir=asc|desc``). Read-only: no route edits or
  deletes a record.
- ``GET|POST /v2/x-vitrine/webhooks``, ``DELETE /v2/x-vitrine/webhooks/{id}``: webhook
  subscriptions (``{"url", "event_types", "catalog_wide"}``); the secret is shown once, in
  the creation answer.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.domain import listing
from catalog.exceptions import BadRequest
from catalog.http import json_body
from catalog.reads import events as event_reads
from catalog.reads import webhooks as webhook_reads
from catalog.services import event_delivery

_STRING = {"type": "string"}
EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "seq": {"type": "integer"},
        "event_type": _STRING,
        "priority": {"type": "string", "enum": ["INFO", "ERROR"]},
        "occurred_at": {"type": "string", "format": "date-time"},
        "user_id": _STRING,
        "user_name": _STRING,
        "project_id": _STRING,
        "target_type": _STRING,
        "target_id": _STRING,
        "owner": _STRING,
        "request_id": _STRING,
        "client_address": _STRING,
        "changes": {
            "type": "object",
            "description": "field: [before, after]",
            "additionalProperties": {"type": "array", "items": {}},
        },
        "detail": {"type": "object"},
    },
}
EVENT_PAGE = {
    "type": "object",
    "properties": {
        "events": {"type": "array", "items": EVENT_SCHEMA},
        "first": _STRING,
        "next": _STRING,
    },
}
WEBHOOK_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "url": _STRING,
        "project_id": _STRING,
        "event_types": {"type": "array", "items": _STRING},
        "active": {"type": "boolean"},
        "created_by": _STRING,
        "created_at": _STRING,
        "secret": {"type": "string", "description": "only in the creation answer"},
    },
}
_FILTER_PARAMS = [
    openapi.query("event_type", "An event type (image.create) or a group (image, image.member)."),
    *(openapi.query(name, f"Only records with this {name}.") for name in event_reads.FILTERS[1:]),
    openapi.query("since", "Records at or after this ISO 8601 time.", refuses_empty=True),
    openapi.query("until", "Records before this ISO 8601 time.", refuses_empty=True),
    openapi.query("limit", "Page size.", int),
    openapi.query("marker", "The last event id of the previous page.", refuses_empty=True),
    openapi.query(
        "sort_dir", "Newest first (desc, the default) or oldest first.", enum=["asc", "desc"]
    ),
]


class EventViewSet(CatalogViewSet):
    """Vitrine extension: the audit trail."""

    http_method_names = ["get"]

    @extend_schema(
        operation_id="x_vitrine_events_list",
        parameters=_FILTER_PARAMS,
        responses={200: OpenApiResponse(response=EVENT_PAGE), **openapi.errors(400, 401, 403)},
    )
    def list(self, request):
        query = request.query_params
        listing.check_query_text(query)
        limit = listing.parse_limit(
            query.get("limit"), settings.CATALOG_LIMIT_PARAM_DEFAULT, settings.CATALOG_API_LIMIT_MAX
        )
        direction = query.get("sort_dir", "desc")
        if direction not in ("asc", "desc"):
            raise BadRequest("sort_dir must be asc or desc.")
        records = event_reads.filtered(event_reads.records_visible_to(self.ctx), query)
        rows = event_reads.page(
            records, marker=query.get("marker"), limit=limit, ascending=direction == "asc"
        )
        return JsonResponse(event_reads.page_document(request.path, query, rows, limit))


class WebhookViewSet(CatalogViewSet):
    """Vitrine extension: webhook subscriptions of the caller's project (admins: all)."""

    http_method_names = ["get", "post", "delete"]

    @extend_schema(
        operation_id="x_vitrine_webhooks_list",
        responses={
            200: OpenApiResponse(
                response={
                    "type": "object",
                    "properties": {"webhooks": {"type": "array", "items": WEBHOOK_SCHEMA}},
                }
            ),
            **openapi.errors(401, 403),
        },
    )
    def list(self, request):
        subscriptions = webhook_reads.subscriptions_of(self.ctx)
        return JsonResponse({"webhooks": [webhook_reads.serialize(s) for s in subscriptions]})

    @extend_schema(
        operation_id="x_vitrine_webhooks_create",
        request={
            "application/json": {
                "type": "object",
                "required": ["url"],
                "properties": {
                    "url": _STRING,
                    "event_types": {"type": "array", "items": _STRING},
                    "catalog_wide": {"type": "boolean"},
                },
            }
        },
        responses={
            201: OpenApiResponse(response=WEBHOOK_SCHEMA),
            **openapi.errors(400, 401, 403),
        },
    )
    def create(self, request):
        body = json_body(request, expect=(dict,))
        types = body.get("event_types") or []
        if not isinstance(types, list):
            raise BadRequest("event_types must be a list of event types.")
        created = event_delivery.subscribe(
            self.ctx, body.get("url"), types, catalog_wide=body.get("catalog_wide") is True
        )
        return JsonResponse(webhook_reads.serialize(created, with_secret=True), status=201)

    @extend_schema(
        operation_id="x_vitrine_webhooks_delete",
        responses={204: OpenApiResponse(description="Deactivated."), **openapi.errors(401, 403)},
    )
    def destroy(self, request, pk):
        event_delivery.unsubscribe(self.ctx, pk)
        return HttpResponse(status=204)
