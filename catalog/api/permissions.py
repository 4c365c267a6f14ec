from rest_framework.permissions import BasePermission

from catalog.context import RequestContext


class HasRequestContext(BasePermission):
    """Every API route needs an identity; what it may do is decided by ``catalog.policy``."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, RequestContext)
