"""The browser session's identity: who is logged in and for which project they act."""

from functools import wraps

from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login

from catalog.identity import services as identity
from catalog.identity.models import Project


def ui_context(request):
    """The RequestContext of this browser session (None when not logged in)."""
    if not request.user.is_authenticated:
        return None
    return identity.session_context(request, request.user)


def projects_of(user) -> list[Project]:
    return list(Project.objects.filter(memberships__user=user, enabled=True).distinct())


def catalog_view(view):
    """Views of the HTML catalog: log in first; the view gets the context as ``ctx``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        ctx = ui_context(request)
        if ctx is None:
            return redirect_to_login(request.get_full_path(), "ui:login")
        return view(request, ctx, *args, **kwargs)

    return wrapper


def authenticate_login(request, username: str, password: str):
    """The one function the login form checks credentials with: the user, or None.

    Local mode: Django's authentication backends (local accounts). The seam for external
    Keystone mode (issue 7): authenticate against Keystone here, as Horizon does, and keep
    the token's project and roles in the session.
    """
    return authenticate(request, username=username, password=password)


class LoginForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate_login(self.request, username, password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
