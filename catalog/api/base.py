"""The base of every API view: authentication, the context, body rules, link building."""

from django.conf import settings
from rest_framework.views import APIView

from catalog.context import RequestContext
from catalog.exceptions import BadRequest


def public_base_url(request) -> str:
    """Where clients reach us: the configured public endpoint, else the request's host."""
    if settings.CATALOG_PUBLIC_ENDPOINT:
        return settings.CATALOG_PUBLIC_ENDPOINT
    return f"{request.scheme}://{request.get_host()}"


def is_chunked(meta) -> bool:
    """Whether the body comes in chunked framing (``Transfer-Encoding: gzip, chunked`` too)."""
    return "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()


def body_length(meta) -> int | None:
    """The declared body length; None for a chunked body (its length is unknown)."""
    if is_chunked(meta):
        return None
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("Invalid Content-Length header.") from None
    if length < 0:
        raise BadRequest("Invalid Content-Length header.")
    return length


def has_body(request) -> bool:
    length = body_length(request.META)
    return length is None or length > 0


class CatalogAPIView(APIView):
    """Base API view. Subclasses list their methods in ``http_method_names`` (which also
    makes the ``Allow`` header of a 405), and name the methods that take no body."""

    http_method_names: list[str] = []
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
