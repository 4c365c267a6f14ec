"""API authentication: ``X-Auth-Token`` for clients, the Django session for the browser.

Both put a ``RequestContext`` in ``request.auth``; policy only ever looks at that.
"""

from dataclasses import replace

from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from catalog.identity import services as identity


class TokenAuthentication(authentication.BaseAuthentication):
    """Keystone-style project-scoped tokens in the ``X-Auth-Token`` header."""

    def authenticate(self, request):
        raw = request.META.get("HTTP_X_AUTH_TOKEN")
        if raw is None:
            return None
        raw = raw.strip()
        ctx = identity.resolve_token(raw, request_id=request.request_id)
        if ctx is None:
            raise AuthenticationFailed()
        return (ctx.user_name, replace(ctx, auth_token=raw))

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when no identity is given.
        return 'Token realm="vitrine"'


class SessionContextAuthentication(authentication.SessionAuthentication):
    """A logged-in browser session acting in the project chosen in the session."""

    def authenticate(self, request):
        result = super().authenticate(request)  # enforces CSRF on unsafe methods
        if result is None:
            return None
        user = result[0]
        ctx = identity.session_context(request, user)
        if ctx is None:
            return None
        return (user.get_username(), ctx)
