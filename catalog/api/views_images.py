"""Image record routes: ``/v2/images`` and ``/v2/images/{id}``."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema

from catalog import policy
from catalog.api import openapi
from catalog.api.base import CatalogAPIView
from catalog.data import stores
from catalog.domain import patching
from catalog.exceptions import UnsupportedMediaType
from catalog.http import json_body, public_base_url
from catalog.models import Image
from catalog.reads import queries
from catalog.reads.filters import ImageFilterSet
from catalog.reads.pagination import PageRequest, page_document, page_rows
from catalog.reads.representations import serialize_image
from catalog.services import images as image_service


def create_headers() -> dict:
    """Glance's discovery headers on a created image: the import methods and, in multi-store
    mode, the stores (only those users can name: Glance also lists its reserved ones, A8)."""
    headers = {}
    methods = settings.CATALOG_ENABLED_IMPORT_METHODS
    if methods:
        headers["OpenStack-image-import-methods"] = ",".join(methods)
    if stores.multiple_backends():
        headers["OpenStack-image-store-ids"] = ",".join(stores.all_stores())
    return headers


class ImageListView(CatalogAPIView):
    http_method_names = ["get", "post"]

    @extend_schema(
        operation_id="images_list",
        summary="List images (filters, sorting and marker pagination as Glance)",
        parameters=openapi.list_parameters(),
        responses={200: openapi.ref("ImageList"), **openapi.errors(400, 401, 403)},
    )
    def get(self, request):
        policy.enforce(self.ctx, "get_images")
        page = PageRequest.from_query(request.GET)
        candidates = policy.listed_for(
            self.ctx,
            Image.objects.all(),
            member_status=page.member_status,
            visibility=page.visibility,
        )
        images = ImageFilterSet(request.GET, queryset=candidates).qs
        rows = page_rows(self.ctx, images, page)
        return JsonResponse(page_document(request.GET, page, rows))

    @extend_schema(
        operation_id="images_create",
        summary="Create an image record",
        request={"application/json": openapi.ref("ImageCreate")},
        responses={201: openapi.ref("Image"), **openapi.errors(400, 401, 403, 409, 413)},
    )
    def post(self, request):
        image = image_service.create_image(self.ctx, json_body(request, expect=(dict,)))
        image = queries.find_image(image.id)
        response = JsonResponse(serialize_image(image), status=201)
        response["Location"] = f"{public_base_url(request)}/v2/images/{image.id}"
        for name, value in create_headers().items():
            response[name] = value
        return response


def patch_media_type(request) -> str:
    """The request's patch media type; 415 with ``Accept-Patch`` for any other."""
    media_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if media_type not in patching.PATCH_MEDIA_TYPES:
        accepted = ", ".join(patching.PATCH_MEDIA_TYPES)
        raise UnsupportedMediaType(
            f"The request media type {media_type or '(none)'} is not supported by this server.",
            details=f"Image PATCH expects Content-Type one of: {accepted}",
            headers={"Accept-Patch": accepted},
        )
    return media_type


class ImageDetailView(CatalogAPIView):
    http_method_names = ["get", "patch", "delete"]

    @extend_schema(
        operation_id="images_show",
        responses={200: openapi.ref("Image"), **openapi.errors(401, 404)},
    )
    def get(self, request, image_id):
        image = queries.get_visible_image(self.ctx, image_id)
        return JsonResponse(serialize_image(image))

    @extend_schema(
        operation_id="images_update",
        summary="Update an image with Glance's JSON Patch",
        request={
            patching.PATCH_V21: {"type": "array", "items": openapi.ref("JsonPatchOperation")},
            patching.PATCH_V20: {
                "type": "array",
                "items": {"type": "object", "description": '{"add|remove|replace": path, "value"}'},
            },
        },
        responses={200: openapi.ref("Image"), **openapi.errors(400, 401, 403, 404, 409, 413, 415)},
    )
    def patch(self, request, image_id):
        media_type = patch_media_type(request)
        changes = patching.parse_patch(json_body(request), media_type)
        image = image_service.update_image(
            self.ctx, image_id, changes, v20=media_type == patching.PATCH_V20
        )
        return JsonResponse(serialize_image(queries.find_image(image.id)))

    @extend_schema(
        operation_id="images_delete",
        responses={204: OpenApiResponse(description="Deleted"), **openapi.errors(401, 403, 404)},
    )
    def delete(self, request, image_id):
        image_service.delete_image(self.ctx, image_id)
        return HttpResponse(status=204)
