"""The browser session's identity: who is logged in and for which project they act."""

from functools import wraps

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
