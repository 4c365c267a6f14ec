"""HTML catalog views: thin function views over the same services and policy as the API."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from catalog import policy
from catalog.identity.services import KEYSTONE_SESSION_KEY, SESSION_PROJECT_KEY
from catalog.reads import dashboard
from catalog.reads.units import iec_size
from catalog.services import members, quotas, usage_history
from catalog.ui.session import LoginForm, catalog_view, projects_of, switch_keystone_project


def _safe_next(request, fallback="ui:home"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return redirect(fallback).url


def start_session(request, user) -> None:
    """The one place a browser session starts, once ``session.authenticate_login`` has
    accepted the credentials: the session acts in the user's first project."""
    login(request, user)
    keystone = getattr(request, "keystone_login", None)
    if keystone is not None:
        # External Keystone mode: the session acts with the token Keystone gave.
        request.session[KEYSTONE_SESSION_KEY] = keystone
        return
    projects = projects_of(request)
    if projects:
        request.session[SESSION_PROJECT_KEY] = projects[0].id


@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        start_session(request, form.get_user())
        return redirect(_safe_next(request))
    return render(
        request, "catalog/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("ui:login")


@require_POST
@catalog_view
def switch_project(request, ctx):
    wanted = request.POST.get("project_id")
    project = next((p for p in projects_of(request) if p.id == wanted), None)
    if project is None:
        messages.error(request, "You have no role in that project.")
    elif request.session.get(KEYSTONE_SESSION_KEY) is not None:
        if switch_keystone_project(request, project.id):
            messages.success(request, f"Now acting in project {project.name}.")
        else:
            messages.error(request, "Keystone refused a token for that project.")
    else:
        request.session[SESSION_PROJECT_KEY] = project.id
        messages.success(request, f"Now acting in project {project.name}.")
    return redirect(_safe_next(request))


@catalog_view
def home(request, ctx):
    """The project dashboard: images by status, storage against the quota, what waits for a
    decision, recent activity (when the caller may read the audit trail) and usage over
    time."""
    context = {"ctx": ctx, "pending_invitations": 0, "by_status": [], "storage": None}
    if ctx.project_id is not None and policy.check(ctx, "get_images"):
        context["pending_invitations"] = members.invitations(ctx).count()
        context["by_status"] = dashboard.images_by_status(ctx.project_id)
        context["storage"] = _storage(ctx.project_id)
        context["pending_publications"] = dashboard.pending_publication_requests(ctx)
        context["history"] = usage_history.history(ctx.project_id)
        if policy.check(ctx, "get_events"):
            context["recent"] = dashboard.recent_activity(ctx.project_id)
    return render(request, "catalog/home.html", context)


def _storage(project_id: str) -> dict:
    figure = next(f for f in quotas.usage_figures(project_id) if f.name == quotas.IMAGE_SIZE_TOTAL)
    return {
        "used": figure.usage,
        "limit": figure.limit,
        "shown": iec_size(figure.usage),
        "limit_shown": "unlimited" if figure.limit is None else iec_size(figure.limit),
        "percent": None if figure.share is None else round(figure.share * 100),
    }
