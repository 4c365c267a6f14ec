"""Image sharing routes: ``/v2/images/{id}/members`` and ``/v2/images/{id}/members/{m}``."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogAPIView
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


class MemberListView(CatalogAPIView):
    """The members of a shared image (a member project sees only its own row); adding one
    answers 200 with the new member, status ``pending``."""

    http_method_names = ["get", "post"]

    @extend_schema(
        operation_id="image_members_list",
        responses={200: _MEMBERS, **openapi.errors(401, 403, 404)},
    )
    def get(self, request, image_id):
        rows = member_service.list_members(self.ctx, image_id)
        return JsonResponse(member_list(rows))

    @extend_schema(
        operation_id="image_members_create",
        request={
            "application/json": {"type": "object", "properties": {"member": {"type": "string"}}}
        },
        responses={200: _MEMBER, **openapi.errors(400, 401, 403, 404, 409, 413)},
    )
    def post(self, request, image_id):
        member_id = sharing.parse_new_member(json_body(request))
        row = member_service.add_member(self.ctx, image_id, member_id)
        # 200, not 201: Glance's status for a new member.
        return JsonResponse(serialize_member(row))


class MemberDetailView(CatalogAPIView):
    """One member: its decision is changed by the member project only, and the owner project
    removes it."""

    http_method_names = ["get", "put", "delete"]

    @extend_schema(
        operation_id="image_members_retrieve",
        responses={200: _MEMBER, **openapi.errors(401, 404)},
    )
    def get(self, request, image_id, member_id):
        return JsonResponse(
            serialize_member(member_service.get_member(self.ctx, image_id, member_id))
        )

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
    def put(self, request, image_id, member_id):
        status = sharing.parse_member_status(json_body(request))
        row = member_service.set_member_status(self.ctx, image_id, member_id, status)
        return JsonResponse(serialize_member(row))

    @extend_schema(
        operation_id="image_members_destroy",
        responses={204: None, **openapi.errors(401, 403, 404)},
    )
    def delete(self, request, image_id, member_id):
        member_service.remove_member(self.ctx, image_id, member_id)
        return HttpResponse(status=204)
