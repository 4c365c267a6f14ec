"""Multi-store sites: ``DELETE /v2/stores/{store}/{image}`` removes one stored copy."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.data import stores
from catalog.exceptions import NotFound
from catalog.services import store_copies


def multi_store_only():
    if not stores.multiple_backends():
        raise NotFound("Multi backend is not supported at this site.")


class StoreViewSet(CatalogViewSet):
    """The stores of a multi-store site (404 on other sites, as Glance)."""

    lookup_url_kwarg = "store_id"
    http_method_names = ["delete"]

    @extend_schema(
        operation_id="stores_image_delete",
        summary="Remove one stored copy of an image (admins)",
        responses={
            204: OpenApiResponse(description="The copy is gone."),
            **openapi.errors(401, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["delete"], url_path="<str:image_id>", url_name="image")
    def delete_copy(self, request, store_id, image_id):
        multi_store_only()
        store_copies.delete_from_store(self.ctx, store_id, image_id)
        return HttpResponse(status=204)
