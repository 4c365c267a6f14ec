"""The base of every API view: authentication, the context, body rules, link building."""

from django.conf import settings
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from catalog.context import RequestContext
from catalog.exceptions import BadRequest


def public_base_url(request) -> str:
    """Where clients reach us: the configured public endpoint, else the request's host."""
    if settings.CATALOG_PUBLIC_ENDPOINT:
        return settings.CATALOG_PUBLIC_ENDPOINT
    return f"{request.scheme}://{request.get_host()}"


def has_body(request) -> bool:
    if request.META.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return True
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return True


class AnyAccept(BaseContentNegotiation):
    """Glance answers whatever ``Accept`` says: JSON, or the image data of ``/file``.

    DRF's default negotiation answered 406 to ``Accept: application/octet-stream`` on
    uploads and downloads, to ``text/html`` from browsers, and to Glance's own
    ``application/vnd.openstack.images-v2.x`` media types. The views build their responses
    themselves, so the choice below only matters to DRF's bookkeeping.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CatalogAPIView(APIView):
    """Base API view. Subclasses list their methods in ``http_method_names`` (which also
    makes the ``Allow`` header of a 405), and name the methods that take no body."""

    http_method_names: list[str] = []
    content_negotiation_class = AnyAccept
    # Glance's body_reject routes: a body on these methods is a 400.
    bodiless_methods = frozenset({"GET", "DELETE"})

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A method the route does not serve is a 405 (dispatch says so next), body or not.
        served = request.method.lower() in self.http_method_names
        if served and request.method in self.bodiless_methods and has_body(request):
            raise BadRequest("A body is not expected with this request.")

    @property
    def ctx(self) -> RequestContext:
        return self.request.auth
