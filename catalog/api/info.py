"""Discovery: ``/v2/info/import``, ``/v2/info/stores`` (and ``/detail``), ``/v2/info/usage``."""

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action

from catalog import policy
from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.api.stores import multi_store_only
from catalog.reads.representations import store_list
from catalog.services import quotas

_LIMIT = {
    "type": "object",
    "properties": {"limit": {"type": "integer"}, "usage": {"type": "integer"}},
}
USAGE_INFO_SCHEMA = {
    "type": "object",
    "properties": {
        "usage": {
            "type": "object",
            "properties": {name: _LIMIT for name in quotas.QUOTA_NAMES},
        }
    },
}


class InfoViewSet(CatalogViewSet):
    """What this site offers: import methods, stores, and the caller's quotas."""

    http_method_names = ["get"]

    @extend_schema(
        operation_id="info_import",
        summary="The enabled import methods",
        responses={200: openapi.ref("ImportInfo"), **openapi.errors(401)},
    )
    @action(detail=False, methods=["get"], url_path="import", url_name="import")
    def import_methods(self, request):
        return JsonResponse(
            {
                "import-methods": {
                    "description": "Import methods available.",
                    "type": "array",
                    "value": list(settings.CATALOG_ENABLED_IMPORT_METHODS),
                }
            }
        )

    @extend_schema(
        operation_id="info_stores",
        summary="The stores (multi-store sites only; 404 otherwise, as Glance)",
        responses={200: openapi.ref("StoreInfo"), **openapi.errors(401, 404)},
    )
    @action(detail=False, methods=["get"])
    def stores(self, request):
        multi_store_only()
        return JsonResponse(store_list())

    @extend_schema(
        operation_id="info_stores_detail",
        summary="The stores with their kinds and settings (admins)",
        responses={
            200: OpenApiResponse(description="Stores with type and properties."),
            **openapi.errors(401, 403, 404),
        },
    )
    @action(detail=False, methods=["get"], url_path="stores/detail")
    def stores_detail(self, request):
        policy.enforce(self.ctx, "stores_info_detail")
        multi_store_only()
        return JsonResponse(store_list(detail=True))

    @extend_schema(
        operation_id="info_usage",
        description=(
            "Limits and usage of the caller's project. image_size_total and "
            "image_stage_total in MiB (rounded down), counts in images; -1 means unlimited."
        ),
        responses={200: OpenApiResponse(response=USAGE_INFO_SCHEMA), **openapi.errors(401)},
    )
    @action(detail=False, methods=["get"])
    def usage(self, request):
        # Glance has no policy on this call: any caller may read its own project's figures.
        return JsonResponse(quotas.usage_info(self.ctx.project_id))
