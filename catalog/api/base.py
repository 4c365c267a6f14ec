"""The base of every API viewset: authentication, the context, body rules."""

from rest_framework.viewsets import ViewSet

from catalog.api.openapi import DocumentSchema
from catalog.context import RequestContext
from catalog.exceptions import BadRequest
from catalog.http import has_body


class CatalogViewSet(ViewSet):
    """Base API viewset. Subclasses list the methods their routes serve in
    ``http_method_names``, in the order of the ``Allow`` header (a route's ``Allow`` names
    those it maps to an action; any other method is a 405 there).

    A body on one of ``bodiless_methods`` is a 400; an action that takes no body on another
    method says so with ``@action(..., bodiless_methods=...)``.
    """

    http_method_names: list[str] = []
    # How drf-spectacular describes the actions (their responses are never bare arrays).
    schema = DocumentSchema()
    # Glance's body_reject routes: a body on these methods is a 400.
    bodiless_methods = frozenset({"GET", "DELETE"})

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A method the route does not serve is a 405 (dispatch says so next), body or not.
        method = request.method.lower()
        served = method in self.http_method_names and method in self.action_map
        if served and request.method in self.bodiless_methods and has_body(request):
            raise BadRequest("A body is not expected with this request.")

    @property
    def ctx(self) -> RequestContext:
        return self.request.auth
