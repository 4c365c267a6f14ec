"""Vitrine's own routes (outside Glance's paths, under ``/v2/x-vitrine/``): publication
requests, and the shared images waiting for the caller's project to decide.

- ``POST /v2/x-vitrine/images/{id}/publication-requests`` ``{"message": "..."}`` (optional):
  201 with the request; the owner project's members (and admins) may ask. 409 when the image
  is already public or a request is pending.
- ``GET  /v2/x-vitrine/images/{id}/publication-requests``: that image's requests.
- ``GET  /v2/x-vitrine/publication-requests[?status=pending|approved|rejected]``: admins see
  all requests, others their project's.
- ``GET  /v2/x-vitrine/publication-requests/{id}``: one request, with the publication
  checklist's verdicts on its image (``"checks": [{"rule", "passed", "reason"}]``).
- ``POST /v2/x-vitrine/publication-requests/{id}/decision`` ``{"decision": "approve" |
  "reject", "reason": "..."}``: admins only; a reason is required to reject; 409 when the
  request is not pending or (approving) a check fails, naming the failing rules.
- ``GET  /v2/x-vitrine/families[?marker=&limit=]``: the image families the caller sees.
- ``GET  /v2/x-vitrine/member-invitations[?status=pending|accepted|rejected|all]`` (default
  pending): images shared with the caller's project, each with the membership to decide on
  (decide with ``PUT /v2/images/{id}/members/{project}``).

Admins also decide in the Django admin and the HTML catalog, through the same service.
"""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.choices import MemberStatus, PublicationStatus
from catalog.exceptions import BadRequest
from catalog.http import has_body, json_body
from catalog.reads import families as family_reads
from catalog.reads.representations import (
    invitation_list,
    publication_request_detail,
    publication_request_list,
    serialize_publication_request,
)
from catalog.services import members as member_service
from catalog.services import publication

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
PUBLICATION_REQUEST_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "image_id": _STRING,
        "project_id": _STRING,
        "status": {"type": "string", "enum": list(PublicationStatus.values)},
        "message": _STRING,
        "requested_by": _STRING,
        "created_at": _STRING,
        "decided_by": _STRING,
        "decided_at": _NULLABLE_STRING,
        "decision_reason": _STRING,
    },
}
_CHECK = {
    "type": "object",
    "properties": {"rule": _STRING, "passed": {"type": "boolean"}, "reason": _STRING},
}
PUBLICATION_REQUEST_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {
        **PUBLICATION_REQUEST_SCHEMA["properties"],
        "direct": {"type": "boolean"},
        "checks_overridden": {"type": "array", "items": _STRING},
        "checks": {"type": "array", "items": _CHECK},
    },
}
_DECISION = {
    "type": "object",
    "required": ["decision"],
    "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject"]},
        "reason": _STRING,
    },
}
_FAMILIES = {
    "type": "object",
    "properties": {
        "families": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": _STRING,
                    "owner": _NULLABLE_STRING,
                    "name": _STRING,
                    "latest_image_id": _STRING,
                    "latest_version": _NULLABLE_STRING,
                    "image_count": {"type": "integer"},
                    "total_size": {"type": "integer"},
                },
            },
        },
        "first": _STRING,
        "next": _STRING,
    },
}
_REQUEST_LIST = {
    "type": "object",
    "properties": {"publication_requests": {"type": "array", "items": PUBLICATION_REQUEST_SCHEMA}},
}
_INVITATIONS = {
    "type": "object",
    "properties": {
        "invitations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"image": {"type": "object"}, "member": {"type": "object"}},
            },
        }
    },
}


def _status_param(request, allowed, default):
    value = request.query_params.get("status", default)
    if value == "all":
        return None
    if value not in allowed:
        raise BadRequest(
            f"Invalid status value: {value}. Expected one of: {', '.join(allowed)}, all"
        )
    return value


class ImagePublicationRequestViewSet(CatalogViewSet):
    """Vitrine extension: ask for an image to be made public (owner project), or see the
    image's requests and their decisions."""

    http_method_names = ["get", "post"]

    @extend_schema(
        operation_id="x_vitrine_image_publication_requests_list",
        responses={200: OpenApiResponse(response=_REQUEST_LIST), **openapi.errors(401, 404)},
    )
    def list(self, request, image_id):
        requests = publication.requests_for_image(self.ctx, image_id)
        return JsonResponse(publication_request_list(requests))

    @extend_schema(
        operation_id="x_vitrine_image_publication_requests_create",
        request={"application/json": {"type": "object", "properties": {"message": _STRING}}},
        responses={
            201: OpenApiResponse(response=PUBLICATION_REQUEST_SCHEMA),
            **openapi.errors(400, 401, 403, 404, 409),
        },
    )
    def create(self, request, image_id):
        body = json_body(request, expect=(dict,)) if has_body(request) else {}
        created = publication.request_publication(self.ctx, image_id, body.get("message", ""))
        return JsonResponse(serialize_publication_request(created), status=201)


class PublicationRequestViewSet(CatalogViewSet):
    """Vitrine extension: publication requests (all for admins, the project's for others)."""

    http_method_names = ["get", "post"]
    lookup_url_kwarg = "request_id"

    @extend_schema(
        operation_id="x_vitrine_publication_requests_list",
        parameters=[OpenApiParameter("status", str, enum=[*PublicationStatus.values, "all"])],
        responses={200: OpenApiResponse(response=_REQUEST_LIST), **openapi.errors(400, 401)},
    )
    def list(self, request):
        status = _status_param(request, PublicationStatus.values, "all")
        requests = publication.requests_visible_to(self.ctx, status)
        return JsonResponse(publication_request_list(requests))

    @extend_schema(
        operation_id="x_vitrine_publication_requests_show",
        responses={
            200: OpenApiResponse(response=PUBLICATION_REQUEST_DETAIL_SCHEMA),
            **openapi.errors(401, 404),
        },
    )
    def retrieve(self, request, request_id):
        found, checks = publication.request_checks(self.ctx, request_id)
        return JsonResponse(publication_request_detail(found, checks))

    @extend_schema(
        operation_id="x_vitrine_publication_requests_decide",
        request={"application/json": _DECISION},
        responses={
            200: OpenApiResponse(response=PUBLICATION_REQUEST_DETAIL_SCHEMA),
            **openapi.errors(400, 401, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, request_id):
        body = json_body(request, expect=(dict,))
        publication.get_request(self.ctx, request_id)  # 404 before 403 for the invisible
        decided = publication.decide(
            self.ctx, request_id, body.get("decision"), body.get("reason", "")
        )
        found, checks = publication.request_checks(self.ctx, decided.pk)
        return JsonResponse(publication_request_detail(found, checks))


class FamilyViewSet(CatalogViewSet):
    """Vitrine extension: image families (owner, ``x_vitrine_family``) the caller sees."""

    http_method_names = ["get"]

    @extend_schema(
        operation_id="x_vitrine_families_list",
        parameters=[OpenApiParameter("marker", str), OpenApiParameter("limit", int)],
        responses={200: OpenApiResponse(response=_FAMILIES), **openapi.errors(400, 401)},
    )
    def list(self, request):
        return JsonResponse(family_reads.family_page(self.ctx, request.query_params))


class MemberInvitationViewSet(CatalogViewSet):
    """Vitrine extension: images shared with the caller's project, with the membership to
    accept or reject (default: those still pending)."""

    http_method_names = ["get"]

    @extend_schema(
        operation_id="x_vitrine_member_invitations_list",
        parameters=[OpenApiParameter("status", str, enum=[*MemberStatus.values, "all"])],
        responses={200: OpenApiResponse(response=_INVITATIONS), **openapi.errors(400, 401)},
    )
    def list(self, request):
        status = _status_param(request, MemberStatus.values, MemberStatus.PENDING)
        rows = member_service.invitations(self.ctx, status)
        return JsonResponse(invitation_list(rows))
