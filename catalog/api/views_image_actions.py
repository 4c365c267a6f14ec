"""Image actions and single tags: ``/v2/images/{id}/actions/*``, ``/v2/images/{id}/tags/*``."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view

from catalog.api import openapi
from catalog.api.base import CatalogAPIView
from catalog.services import actions, tags

_DONE = OpenApiResponse(description="Done (no body).")


class ImageActionView(CatalogAPIView):
    http_method_names = ["post"]
    bodiless_methods = frozenset({"POST"})
    action = ""

    def post(self, request, image_id):
        getattr(actions, self.action)(self.ctx, image_id)
        return HttpResponse(status=204)


def _action_schema(action: str):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"images_{action}",
            summary=f"{action.capitalize()} an image (204; a wrong status is 403, as Glance)",
            request=None,
            responses={204: _DONE, **openapi.errors(400, 401, 403, 404)},
        )
    )


@_action_schema("deactivate")
class DeactivateView(ImageActionView):
    action = "deactivate"


@_action_schema("reactivate")
class ReactivateView(ImageActionView):
    action = "reactivate"


class ImageTagView(CatalogAPIView):
    http_method_names = ["put", "delete"]
    bodiless_methods = frozenset({"PUT", "DELETE"})

    @extend_schema(
        operation_id="images_tag_add",
        summary="Add one tag (idempotent)",
        request=None,
        responses={204: _DONE, **openapi.errors(400, 401, 403, 404, 413)},
    )
    def put(self, request, image_id, tag):
        tags.add_tag(self.ctx, image_id, tag)
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="images_tag_delete",
        summary="Remove one tag (404 when the image does not have it)",
        responses={204: _DONE, **openapi.errors(401, 403, 404)},
    )
    def delete(self, request, image_id, tag):
        tags.remove_tag(self.ctx, image_id, tag)
        return HttpResponse(status=204)
