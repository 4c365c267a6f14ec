"""Quota usage: the acting project's limits and usage (every project's for admins), as a
table and as PNG bar charts."""

from datetime import timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from catalog.identity.models import Project
from catalog.services import quotas, usage_history
from catalog.ui.charts import Bar, render_bars, render_history
from catalog.ui.session import catalog_view

HISTORY_DAYS = 30
LABELS = {
    quotas.IMAGE_SIZE_TOTAL: "Stored data",
    quotas.IMAGE_COUNT_TOTAL: "Images",
    quotas.IMAGE_STAGE_TOTAL: "Staged data",
    quotas.IMAGE_COUNT_UPLOADING: "Uploads in progress",
}


def bars_of(project_id: str) -> list[Bar]:
    """Sizes in bytes (shown in IEC units), so a half-used MiB is not shown as 0."""
    return [
        Bar(LABELS[f.name], f.usage, f.limit, f.is_size) for f in quotas.usage_figures(project_id)
    ]


def projects_for(ctx) -> list[Project]:
    """Admins see every project; others the project they act in."""
    if ctx.is_admin:
        return list(Project.objects.order_by("name"))
    return list(Project.objects.filter(pk=ctx.project_id))


@catalog_view
def usage(request, ctx):
    rows = [(project, bars_of(project.id)) for project in projects_for(ctx)]
    return render(request, "catalog/usage.html", {"rows": rows})


@never_cache
@catalog_view
def usage_chart(request, ctx, project_id):
    project = next((p for p in projects_for(ctx) if p.id == project_id), None)
    if project is None:
        raise Http404("No such project.")
    png = render_bars(f"Quota usage of {project.name}", bars_of(project.id))
    return HttpResponse(png, content_type="image/png")


@never_cache
@catalog_view
def usage_history_chart(request, ctx, project_id):
    """The last 30 days of a project's samples (recorded by the worker) as a PNG."""
    project = next((p for p in projects_for(ctx) if p.id == project_id), None)
    if project is None:
        raise Http404("No such project.")
    today = timezone.now().date()
    samples = usage_history.history(project.id, HISTORY_DAYS, today)
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    png = render_history(f"Usage of {project.name}, last 30 days", samples, first_day)
    return HttpResponse(png, content_type="image/png")
