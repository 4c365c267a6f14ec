"""Image record routes: ``/v2/images`` and ``/v2/images/{id}``."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from catalog import policy, queries, stores
from catalog.services import images as image_service

from .base import CatalogAPIView, public_base_url
from .parsing import json_body
from .serializers import serialize_image


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

    def get(self, request):
        policy.enforce(self.ctx, "get_images")
        images = policy.visible_to(self.ctx, queries.images_with_details())
        page = images.order_by("-created_at", "-id")[:25]
        return JsonResponse(
            {
                "images": [serialize_image(i) for i in page],
                "first": "/v2/images",
                "schema": "/v2/schemas/images",
            }
        )

    def post(self, request):
        image = image_service.create_image(self.ctx, json_body(request, expect=(dict,)))
        image = queries.find_image(image.id)
        response = JsonResponse(serialize_image(image), status=201)
        response["Location"] = f"{public_base_url(request)}/v2/images/{image.id}"
        for name, value in create_headers().items():
            response[name] = value
        return response


class ImageDetailView(CatalogAPIView):
    http_method_names = ["get", "delete"]

    def get(self, request, image_id):
        image = queries.get_visible_image(self.ctx, image_id)
        return JsonResponse(serialize_image(image))

    def delete(self, request, image_id):
        image_service.delete_image(self.ctx, image_id)
        return HttpResponse(status=204)
