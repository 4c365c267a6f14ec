"""Vitrine's own routes (outside Glance's paths, under ``/v2/x-vitrine/``): publication
requests, and the shared images waiting for the caller's project to decide.

- ``POST /v2/x-vitrine/images/{id}/publication-requests`` ``{"message": "..."}`` (optional):
  201 with the request; the owner project's members (and admins) may ask. 409 when the image
  is already public or a request is pending.
- ``GET  /v2/x-vitrine/images/{id}/publication-requests``: that image's requests.
- ``GET  /v2/x-vitrine/publication-requests[?status=pending|approved|rejected]``: admins see
  all requests, others their project's.
- ``GET  /v2/x-vitrine/member-invitations[?status=pending|accepted|rejected|all]`` (default
  pending): images shared with the caller's project, each with the membership to decide on
  (decide with ``PUT /v2/images/{id}/members/{project}``).

Admins approve or reject requests in the Django admin.
"""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.choices import MemberStatus, PublicationStatus
from catalog.exceptions import BadRequest
from catalog.http import has_body, json_body
from catalog.reads.representations import (
    invitation_list,
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

    http_method_names = ["get"]

    @extend_schema(
        operation_id="x_vitrine_publication_requests_list",
        parameters=[OpenApiParameter("status", str, enum=[*PublicationStatus.values, "all"])],
        responses={200: OpenApiResponse(response=_REQUEST_LIST), **openapi.errors(400, 401)},
    )
    def list(self, request):
        status = _status_param(request, PublicationStatus.values, "all")
        requests = publication.requests_visible_to(self.ctx, status)
        return JsonResponse(publication_request_list(requests))


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
