"""The base of every API view: authentication, the context, body rules."""

from rest_framework.views import APIView

from catalog.context import RequestContext
from catalog.exceptions import BadRequest
from catalog.http import has_body


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
