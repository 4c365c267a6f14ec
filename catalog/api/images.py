"""Images: ``/v2/images``, ``/v2/images/{id}`` and the image's own routes: its data
(``file``), staging, import, the deactivate and reactivate actions, single tags and tasks."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action

from catalog import policy
from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.api.bodies import (
    BlobResponse,
    check_octet_stream,
    declared_size,
    patch_media_type,
    request_chunks,
)
from catalog.api.tasks import TASKS_RESPONSE
from catalog.data import stores
from catalog.domain import patching
from catalog.http import json_body, public_base_url
from catalog.reads import queries
from catalog.reads.pagination import PageRequest, image_page, page_document
from catalog.reads.representations import image_task_list, serialize_image
from catalog.services import actions, image_data, imports, locations, tags
from catalog.services import images as image_service

DONE = OpenApiResponse(description="Done (no body).")
BINARY = {"type": "string", "format": "binary"}
SIZE_HEADER = OpenApiParameter(
    "x-openstack-image-size",
    int,
    OpenApiParameter.HEADER,
    description="The size the client will send (else Content-Length).",
)
STORE_HEADER = OpenApiParameter(
    "X-Image-Meta-Store", str, OpenApiParameter.HEADER, description="Store id (multi-store)."
)
# The routes that take no body on a method that usually has one.
NO_BODY_POST = frozenset({"POST"})
NO_BODY_PUT_DELETE = frozenset({"PUT", "DELETE"})


def create_headers() -> dict:
    """Glance's discovery headers on a created image: the import methods and, in multi-store
    mode, the stores users can name (docs/glance-differences.md#store-ids-header)."""
    headers = {}
    methods = settings.CATALOG_ENABLED_IMPORT_METHODS
    if methods:
        headers["OpenStack-image-import-methods"] = ",".join(methods)
    if stores.multiple_backends():
        headers["OpenStack-image-store-ids"] = ",".join(stores.all_stores())
    return headers


def status_action(name: str):
    """``POST /v2/images/{id}/actions/{name}``: the service's action of that name; 204, and
    no body either way."""

    def run(self, request, image_id):
        getattr(actions, name)(self.ctx, image_id)
        return HttpResponse(status=204)

    run.__name__ = name  # the router names the route image-{name}
    routed = action(
        detail=True, methods=["post"], url_path=f"actions/{name}", bodiless_methods=NO_BODY_POST
    )(run)
    return extend_schema(
        operation_id=f"images_{name}",
        summary=f"{name.capitalize()} an image (204; a wrong status is 403, as Glance)",
        request=None,
        responses={204: DONE, **openapi.errors(400, 401, 403, 404)},
    )(routed)


class ImageViewSet(CatalogViewSet):
    """Images: their records, data, import, status actions, tags and tasks."""

    lookup_url_kwarg = "image_id"
    http_method_names = ["get", "post", "put", "patch", "delete"]

    @extend_schema(
        operation_id="images_list",
        summary="List images (filters, sorting and marker pagination as Glance)",
        parameters=openapi.list_parameters(),
        responses={200: openapi.ref("ImageList"), **openapi.errors(400, 401, 403)},
    )
    def list(self, request):
        policy.enforce(self.ctx, "get_images")
        page = PageRequest.from_query(request.GET)
        rows = image_page(self.ctx, request.GET, page)
        return JsonResponse(page_document(request.GET, page, rows, self.ctx))

    @extend_schema(
        operation_id="images_create",
        summary="Create an image record",
        request={"application/json": openapi.ref("ImageCreate")},
        responses={201: openapi.ref("Image"), **openapi.errors(400, 401, 403, 409, 413)},
    )
    def create(self, request):
        image = image_service.create_image(self.ctx, json_body(request, expect=(dict,)))
        image = queries.find_image(image.id)
        response = JsonResponse(serialize_image(image, self.ctx), status=201)
        response["Location"] = f"{public_base_url(request)}/v2/images/{image.id}"
        for name, value in create_headers().items():
            response[name] = value
        return response

    @extend_schema(
        operation_id="images_show",
        responses={200: openapi.ref("Image"), **openapi.errors(401, 404)},
    )
    def retrieve(self, request, image_id):
        image = queries.get_visible_image(self.ctx, image_id)
        return JsonResponse(serialize_image(image, self.ctx))

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
    def partial_update(self, request, image_id):
        media_type = patch_media_type(request)
        manage = settings.CATALOG_SHOW_MULTIPLE_LOCATIONS
        changes = patching.parse_patch(json_body(request), media_type, manage_locations=manage)
        # Location operations (only with location management on) have a service of their own.
        update = locations.patch_image if manage else image_service.update_image
        image = update(self.ctx, image_id, changes, v20=media_type == patching.PATCH_V20)
        return JsonResponse(serialize_image(queries.find_image(image.id), self.ctx))

    @extend_schema(
        operation_id="images_delete",
        responses={204: OpenApiResponse(description="Deleted"), **openapi.errors(401, 403, 404)},
    )
    def destroy(self, request, image_id):
        image_service.delete_image(self.ctx, image_id)
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="images_file_download",
        summary="Download image data (a single Range gives 206)",
        parameters=[
            OpenApiParameter("Range", str, OpenApiParameter.HEADER, description="bytes=a-b"),
            OpenApiParameter(
                "prefer", str, OpenApiParameter.QUERY, description="store ids to read first"
            ),
        ],
        responses={
            (200, "application/octet-stream"): BINARY,
            (206, "application/octet-stream"): BINARY,
            204: OpenApiResponse(description="The image has no data."),
            **openapi.errors(400, 401, 403, 404, 416, 503),
        },
    )
    @action(detail=True, methods=["get"])
    def file(self, request, image_id):
        download = image_data.open_data(
            self.ctx,
            image_id,
            range_header=request.META.get("HTTP_RANGE"),
            content_range=request.META.get("HTTP_CONTENT_RANGE"),
            prefer=request.GET.get("prefer"),
        )
        if download is None:
            return HttpResponse(status=204)
        return BlobResponse(download)

    @extend_schema(
        operation_id="images_file_upload",
        summary="Upload image data (streamed; inspected, hashed, size- and quota-checked)",
        request={"application/octet-stream": BINARY},
        parameters=[SIZE_HEADER, STORE_HEADER],
        responses={
            204: OpenApiResponse(description="Stored; the image is active."),
            **openapi.errors(400, 401, 403, 404, 409, 410, 413, 415, 503),
        },
    )
    @file.mapping.put
    def upload(self, request, image_id):
        check_octet_stream(request)
        size = declared_size(request.META)
        image_data.upload_data(
            self.ctx,
            image_id,
            request_chunks(request),
            declared_size=size,
            store_id=request.META.get("HTTP_X_IMAGE_META_STORE"),
        )
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="images_stage",
        summary="Stage image data for a glance-direct import (streamed and checked)",
        request={"application/octet-stream": BINARY},
        parameters=[SIZE_HEADER],
        responses={
            204: OpenApiResponse(description="Staged; the image is uploading."),
            **openapi.errors(400, 401, 403, 404, 409, 413, 415, 503),
        },
    )
    @action(detail=True, methods=["put"])
    def stage(self, request, image_id):
        check_octet_stream(request)
        size = declared_size(request.META)
        image_data.stage_data(self.ctx, image_id, request_chunks(request), declared_size=size)
        return HttpResponse(status=204)

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
    @action(detail=True, methods=["post"], url_path="import", url_name="import")
    def import_data(self, request, image_id):
        body = json_body(request, expect=(dict,))
        imports.start_import(
            self.ctx, image_id, body, header_store=request.META.get("HTTP_X_IMAGE_META_STORE")
        )
        # The response's request id is the task's (both are this request's id).
        return HttpResponse(status=202)

    @extend_schema(
        operation_id="images_locations_list",
        summary="The image's locations (API 2.17; services and admins)",
        responses={
            200: {"type": "array", "items": {"type": "object"}},
            **openapi.errors(400, 401, 403, 404),
        },
    )
    @action(detail=True, methods=["get"], url_path="locations", url_name="locations")
    def locations(self, request, image_id):
        return JsonResponse(locations.list_locations(self.ctx, image_id), safe=False)

    @extend_schema(
        operation_id="images_locations_add",
        summary="Add a location to a queued image (202; a task reads, hashes and activates it)",
        request={"application/json": {"type": "object"}},
        responses={
            202: OpenApiResponse(description="Accepted: a location_import task runs."),
            **openapi.errors(400, 401, 403, 404, 409),
        },
    )
    @locations.mapping.post
    def add_location(self, request, image_id):
        locations.add_location(self.ctx, image_id, json_body(request))
        return HttpResponse(status=202)

    deactivate = status_action("deactivate")
    reactivate = status_action("reactivate")

    @extend_schema(
        operation_id="images_tag_add",
        summary="Add one tag (idempotent)",
        request=None,
        responses={204: DONE, **openapi.errors(400, 401, 403, 404, 413)},
    )
    @action(
        detail=True,
        methods=["put"],
        url_path="tags/<str:tag>",
        bodiless_methods=NO_BODY_PUT_DELETE,
    )
    def tag(self, request, image_id, tag):
        tags.add_tag(self.ctx, image_id, tag)
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="images_tag_delete",
        summary="Remove one tag (404 when the image does not have it)",
        responses={204: DONE, **openapi.errors(401, 403, 404)},
    )
    @tag.mapping.delete
    def untag(self, request, image_id, tag):
        tags.remove_tag(self.ctx, image_id, tag)
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="images_tasks",
        summary="The import tasks of an image (API 2.12)",
        responses={200: TASKS_RESPONSE, **openapi.errors(401, 404)},
    )
    @action(detail=True, methods=["get"])
    def tasks(self, request, image_id):
        queries.get_visible_image(self.ctx, image_id)
        return JsonResponse(image_task_list(queries.tasks_of_image(self.ctx, image_id)))
