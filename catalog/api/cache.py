"""The image cache API, ``/v2/cache`` (API 2.14, 2.16, 2.18): admins only; every route is a
404 without ``CATALOG_IMAGE_CACHE_DIR`` (as Glance without ``image_cache_dir``)."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.services import cache, image_data

DONE = OpenApiResponse(description="Done (no body).")
OBJECT = {"type": "object"}
NO_BODY = frozenset({"GET", "DELETE", "PUT", "POST"})


class CacheViewSet(CatalogViewSet):
    lookup_url_kwarg = "image_id"
    http_method_names = ["get", "post", "put", "delete"]
    bodiless_methods = NO_BODY

    @extend_schema(
        operation_id="cache_list",
        summary="Cached and queued images of every node",
        responses={200: OBJECT, **openapi.errors(400, 401, 403, 404)},
    )
    def list(self, request):
        return JsonResponse(cache.list_cache(self.ctx))

    @extend_schema(
        operation_id="cache_clear",
        summary="Clear the cache, the queue, or both (x-image-cache-clear-target)",
        parameters=[
            OpenApiParameter(
                "x-image-cache-clear-target",
                str,
                OpenApiParameter.HEADER,
                description="cache, queue, both or empty (both)",
            )
        ],
        responses={204: DONE, **openapi.errors(400, 401, 403, 404)},
    )
    def destroy_all(self, request):
        cache.clear(self.ctx, request.META.get("HTTP_X_IMAGE_CACHE_CLEAR_TARGET"))
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="cache_queue",
        summary="Queue an active image for caching (202)",
        request=None,
        responses={202: DONE, **openapi.errors(400, 401, 403, 404)},
    )
    def update(self, request, image_id):
        cache.queue_image(self.ctx, image_id, open_image=image_data.open_image)
        return HttpResponse(status=202)

    @extend_schema(
        operation_id="cache_delete",
        summary="Remove an image from every node's cache and from the queue",
        responses={204: DONE, **openapi.errors(401, 403, 404)},
    )
    def destroy(self, request, image_id):
        cache.delete_entry(self.ctx, image_id)
        return HttpResponse(status=204)

    @extend_schema(
        operation_id="cache_nodes",
        summary="The nodes that hold a copy of the image (API 2.18)",
        responses={
            200: {"type": "array", "items": {"type": "string"}},
            **openapi.errors(401, 403, 404),
        },
    )
    @action(detail=False, methods=["get"], url_path="nodes/<str:image_id>", url_name="nodes")
    def nodes(self, request, image_id):
        return JsonResponse(cache.nodes_of(self.ctx, image_id), safe=False)

    @extend_schema(
        operation_id="cache_clean",
        summary="Remove incomplete copies left by dead fills (API 2.18)",
        request=None,
        responses={200: DONE, **openapi.errors(401, 403, 404)},
    )
    @action(detail=False, methods=["post"])
    def clean(self, request):
        cache.clean(self.ctx)
        return HttpResponse(status=200)

    @extend_schema(
        operation_id="cache_prune",
        summary="Prune this node's cache to CATALOG_IMAGE_CACHE_MAX_SIZE (API 2.18)",
        request=None,
        responses={200: OBJECT, **openapi.errors(401, 403, 404)},
    )
    @action(detail=False, methods=["post"])
    def prune(self, request):
        return JsonResponse(cache.prune(self.ctx))
