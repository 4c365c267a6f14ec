"""Interoperable import and discovery: ``POST /v2/images/{id}/import``, ``/v2/info/import``,
``/v2/info/stores`` (and ``/detail``), ``DELETE /v2/stores/{store}/{image}``."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from catalog import policy
from catalog.api import openapi
from catalog.api.base import CatalogAPIView
from catalog.data import stores
from catalog.exceptions import NotFound
from catalog.http import json_body
from catalog.reads.representations import store_list
from catalog.services import imports, store_copies


class ImageImportView(CatalogAPIView):
    http_method_names = ["post"]

    @extend_schema(
        operation_id="images_import",
        summary="Import image data in the background (glance-direct, web-download, copy-image)",
        request={"application/json": openapi.ref("ImageImport")},
        parameters=[
            OpenApiParameter("X-Image-Meta-Store", str, OpenApiParameter.HEADER, required=False)
        ],
        responses={
            202: OpenApiResponse(description="Accepted: a task runs the import."),
            **openapi.errors(400, 401, 403, 404, 409, 413),
        },
    )
    def post(self, request, image_id):
        body = json_body(request, expect=(dict,))
        imports.start_import(
            self.ctx, image_id, body, header_store=request.META.get("HTTP_X_IMAGE_META_STORE")
        )
        # The response's request id is the task's (both are this request's id).
        return HttpResponse(status=202)


class ImportInfoView(CatalogAPIView):
    http_method_names = ["get"]

    @extend_schema(
        operation_id="info_import",
        summary="The enabled import methods",
        responses={200: openapi.ref("ImportInfo"), **openapi.errors(401)},
    )
    def get(self, request):
        return JsonResponse(
            {
                "import-methods": {
                    "description": "Import methods available.",
                    "type": "array",
                    "value": list(settings.CATALOG_ENABLED_IMPORT_METHODS),
                }
            }
        )


def _multi_store_only():
    if not stores.multiple_backends():
        raise NotFound("Multi backend is not supported at this site.")


class StoresInfoView(CatalogAPIView):
    http_method_names = ["get"]

    @extend_schema(
        operation_id="info_stores",
        summary="The stores (multi-store sites only; 404 otherwise, as Glance)",
        responses={200: openapi.ref("StoreInfo"), **openapi.errors(401, 404)},
    )
    def get(self, request):
        _multi_store_only()
        return JsonResponse(store_list())


class StoresDetailView(CatalogAPIView):
    http_method_names = ["get"]

    @extend_schema(
        operation_id="info_stores_detail",
        summary="The stores with their kinds and settings (admins)",
        responses={
            200: OpenApiResponse(description="Stores with type and properties."),
            **openapi.errors(401, 403, 404),
        },
    )
    def get(self, request):
        policy.enforce(self.ctx, "stores_info_detail")
        _multi_store_only()
        return JsonResponse(store_list(detail=True))


class StoreImageView(CatalogAPIView):
    http_method_names = ["delete"]

    @extend_schema(
        operation_id="stores_image_delete",
        summary="Remove one stored copy of an image (admins)",
        responses={
            204: OpenApiResponse(description="The copy is gone."),
            **openapi.errors(401, 403, 404, 409),
        },
    )
    def delete(self, request, store_id, image_id):
        _multi_store_only()
        store_copies.delete_from_store(self.ctx, store_id, image_id)
        return HttpResponse(status=204)
