"""Image sharing: ``/v2/images/{id}/members`` and ``/v2/images/{id}/members/{member}``."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.domain import sharing
from catalog.http import json_body
from catalog.reads.representations import member_list, serialize_member
from catalog.services import members as member_service

# The JSON Schemas of /v2/schemas/member(s) carry Glance's "name" and "links" keys, which are
# not OpenAPI schema keywords: the API description gets their properties only.
MEMBER_OPENAPI = {"type": "object", "properties": sharing.member_schema()["properties"]}
MEMBERS_OPENAPI = {
    "type": "object",
    "properties": {
        "members": {"type": "array", "items": MEMBER_OPENAPI},
        "schema": {"type": "string"},
    },
}
_MEMBER = OpenApiResponse(response=MEMBER_OPENAPI, description="An image member.")
_MEMBERS = OpenApiResponse(response=MEMBERS_OPENAPI, description="Image members.")


class MemberViewSet(CatalogViewSet):
    """The members of a shared image. The owner project adds and removes them (a new member
    is ``pending``); a member project sees only its own row and is the only one to accept or
    reject it."""

    lookup_url_kwarg = "member_id"
    http_method_names = ["get", "post", "put", "delete"]

    @extend_schema(
        operation_id="image_members_list",
        responses={200: _MEMBERS, **openapi.errors(401, 403, 404)},
    )
    def list(self, request, image_id):
        return JsonResponse(member_list(member_service.list_members(self.ctx, image_id)))

    @extend_schema(
        operation_id="image_members_create",
        request={
            "application/json": {"type": "object", "properties": {"member": {"type": "string"}}}
        },
        responses={200: _MEMBER, **openapi.errors(400, 401, 403, 404, 409, 413)},
    )
    def create(self, request, image_id):
        member_id = sharing.parse_new_member(json_body(request))
        row = member_service.add_member(self.ctx, image_id, member_id)
        # 200, not 201: Glance's status for a new member.
        return JsonResponse(serialize_member(row))

    @extend_schema(
        operation_id="image_members_retrieve",
        responses={200: _MEMBER, **openapi.errors(401, 404)},
    )
    def retrieve(self, request, image_id, member_id):
        row = member_service.get_member(self.ctx, image_id, member_id)
        return JsonResponse(serialize_member(row))

    @extend_schema(
        operation_id="image_members_update",
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["pending", "accepted", "rejected"]}
                },
            }
        },
        responses={200: _MEMBER, **openapi.errors(400, 401, 403, 404)},
    )
    def update(self, request, image_id, member_id):
        status = sharing.parse_member_status(json_body(request))
        row = member_service.set_member_status(self.ctx, image_id, member_id, status)
        return JsonResponse(serialize_member(row))

    @extend_schema(
        operation_id="image_members_destroy",
        responses={204: None, **openapi.errors(401, 403, 404)},
    )
    def destroy(self, request, image_id, member_id):
        member_service.remove_member(self.ctx, image_id, member_id)
        return HttpResponse(status=204)
