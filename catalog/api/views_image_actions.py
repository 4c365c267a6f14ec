"""Image actions and single tags: ``/v2/images/{id}/actions/*``, ``/v2/images/{id}/tags/*``."""

from django.http import HttpResponse

from catalog.services import actions, tags

from .base import CatalogAPIView


class ImageActionView(CatalogAPIView):
    http_method_names = ["post"]
    bodiless_methods = frozenset({"POST"})
    action = ""

    def post(self, request, image_id):
        getattr(actions, self.action)(self.ctx, image_id)
        return HttpResponse(status=204)


class ImageTagView(CatalogAPIView):
    http_method_names = ["put", "delete"]
    bodiless_methods = frozenset({"PUT", "DELETE"})

    def put(self, request, image_id, tag):
        tags.add_tag(self.ctx, image_id, tag)
        return HttpResponse(status=204)

    def delete(self, request, image_id, tag):
        tags.remove_tag(self.ctx, image_id, tag)
        return HttpResponse(status=204)
