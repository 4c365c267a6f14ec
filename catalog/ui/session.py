"""The browser session's identity: who is logged in and for which project they act."""

from functools import wraps

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login

from catalog.data import sealed
from catalog.identity import external, projects, throttling
from catalog.identity import services as identity
from catalog.identity.models import Project


def ui_context(request):
    """The RequestContext of this browser session (None when not logged in)."""
    if not request.user.is_authenticated:
        return None
    return identity.session_context(request, request.user)


def projects_of(request) -> list[Project]:
    """The projects the session's user may act in (from the Keystone login in external mode)."""
    keystone = request.session.get(identity.KEYSTONE_SESSION_KEY)
    if keystone is not None:
        return [Project(id=pid, name=name) for pid, name in keystone["projects"]]
    return projects.projects_of_user(request.user)


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

    Local mode: Django's authentication backends (local accounts). External Keystone mode:
    Keystone checks the password, as Horizon does; the user is a local shadow account without
    a usable password, and the login (token sealed, project, roles, projects) waits on the
    request for ``start_session`` to keep in the session.
    """
    if not settings.CATALOG_KEYSTONE_URL:
        return authenticate(request, username=username, password=password)
    login = external.password_login(username, password)
    if login is None:
        return None
    user, _ = identity.ensure_user(f"keystone-{login['identity']['user_id']}"[:150])
    request.keystone_login = login
    return user


def switch_keystone_project(request, project_id: str) -> bool:
    """Rescope the session's Keystone token to another of the user's projects."""
    keystone = request.session.get(identity.KEYSTONE_SESSION_KEY)
    if keystone is None or project_id not in {pid for pid, _ in keystone["projects"]}:
        return False
    raw = sealed.unseal(keystone["token"])
    issued = external.rescope(raw, project_id) if raw else None
    state = external.login_state(*issued, keystone["projects"]) if issued else None
    if state is None:
        return False
    request.session[identity.KEYSTONE_SESSION_KEY] = state
    return True


class LoginForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            attempt = throttling.guard_login_form(self.request, username)
            self.user_cache = authenticate_login(self.request, username, password)
            if self.user_cache is None:
                attempt.failed()
                raise self.get_invalid_login_error()
            attempt.succeeded()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
