"""Sharing pages: the owner shares an image with a project or stops sharing it; a project's
members see what others share with it and accept or reject it."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from catalog.choices import MemberStatus
from catalog.exceptions import CatalogError, NotFound
from catalog.identity.models import Project
from catalog.services import members
from catalog.ui.forms import ShareForm
from catalog.ui.images import detail_context, project_names, visible_image
from catalog.ui.session import catalog_view


def find_project(text: str) -> str:
    """A project id from a name or an id; unknown text is passed on as an id (with an
    external Keystone, projects need not be rows here)."""
    project = Project.objects.filter(Q(name=text) | Q(pk=text)).first()
    return project.id if project else text


@require_POST
@catalog_view
def share(request, ctx, image_id):
    image = visible_image(ctx, image_id)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            members.add_member(ctx, image.pk, find_project(form.cleaned_data["project"].strip()))
            messages.success(request, f"Shared with {form.cleaned_data['project']}.")
            return redirect("ui:image-detail", image.pk)
        except CatalogError as exc:
            form.add_error("project", exc.message)
            status = exc.status_code
    else:
        status = 400
    context = detail_context(ctx, visible_image(ctx, image_id), share_form=form)
    return render(request, "catalog/image_detail.html", context, status=status)


@require_POST
@catalog_view
def unshare(request, ctx, image_id, member_id):
    try:
        members.remove_member(ctx, image_id, member_id)
        messages.success(request, "No longer shared with that project.")
    except NotFound:
        raise Http404("No such membership.") from None
    except CatalogError as exc:
        messages.error(request, exc.message)
    return redirect("ui:image-detail", image_id)


INVITATION_FILTERS = ["pending", "accepted", "rejected", "all"]


@catalog_view
def invitations(request, ctx):
    wanted = request.GET.get("status", MemberStatus.PENDING)
    if wanted not in INVITATION_FILTERS:
        wanted = MemberStatus.PENDING
    try:
        rows = list(members.invitations(ctx, None if wanted == "all" else wanted)[:200])
    except CatalogError as exc:
        messages.error(request, exc.message)
        rows = []
    names = project_names({row.image.owner for row in rows})
    context = {
        "rows": [(row, names.get(row.image.owner, row.image.owner)) for row in rows],
        "status": wanted,
        "filters": INVITATION_FILTERS,
    }
    return render(request, "catalog/invitations.html", context)


@require_POST
@catalog_view
def decide(request, ctx, image_id):
    """The caller's project accepts or rejects an image shared with it."""
    status = request.POST.get("status", "")
    try:
        members.set_member_status(ctx, image_id, ctx.project_id or "", status)
        messages.success(request, f"Invitation {status}.")
    except NotFound:
        raise Http404("No such invitation.") from None
    except CatalogError as exc:
        messages.error(request, exc.message)
    return redirect("ui:invitations")
