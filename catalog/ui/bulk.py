"""Bulk actions of the catalog list: the selected images, a confirmation page that lists
them and says what will happen, then one service call per image with the session's context
(each refusal reported with the service's message)."""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from catalog.exceptions import CatalogError, NotFound
from catalog.reads import queries
from catalog.services import actions, members
from catalog.services import images as image_service
from catalog.ui.session import catalog_view
from catalog.ui.sharing import find_project

MAX_SELECTED = 100


@dataclass(frozen=True)
class BulkAction:
    label: str
    explanation: str
    done: str
    run: object  # (ctx, image_id, project_id) -> None


BULK_ACTIONS = {
    "delete": BulkAction(
        "Delete",
        "These images and their data will be deleted for good. Protected images are refused.",
        "deleted",
        lambda ctx, image_id, _: image_service.delete_image(ctx, image_id),
    ),
    "deactivate": BulkAction(
        "Deactivate",
        "These images will be deactivated: their data cannot be downloaded until reactivated.",
        "deactivated",
        lambda ctx, image_id, _: actions.deactivate(ctx, image_id),
    ),
    "reactivate": BulkAction(
        "Reactivate",
        "These images will be reactivated: their data can be downloaded again.",
        "reactivated",
        lambda ctx, image_id, _: actions.reactivate(ctx, image_id),
    ),
    "share": BulkAction(
        "Share",
        "These images will be shared with the project below (only images with visibility "
        "'shared' can be; the project then accepts or rejects them).",
        "shared",
        lambda ctx, image_id, project: members.add_member(ctx, image_id, project),
    ),
}


def _selected(ctx, ids: list[str]):
    """The selected images that ``ctx`` sees (others are left out silently: they were on no
    page this session was shown)."""
    found = []
    for image_id in dict.fromkeys(ids[:MAX_SELECTED]):
        try:
            found.append(queries.get_visible_image(ctx, image_id))
        except NotFound:
            continue
    return found


@require_POST
@catalog_view
def bulk(request, ctx):
    action = BULK_ACTIONS.get(request.POST.get("action", ""))
    images = _selected(ctx, request.POST.getlist("image"))
    if action is None or not images:
        messages.error(request, "Select one or more images and an action.")
        return redirect("ui:image-list")
    project = request.POST.get("project", "").strip()
    if request.POST.get("action") == "share" and not project:
        messages.error(request, "Name the project to share with.")
        return redirect("ui:image-list")
    if request.POST.get("confirmed") != "yes":
        context = {
            "action": action,
            "name": request.POST["action"],
            "images": images,
            "project": project,
        }
        return render(request, "catalog/bulk_confirm.html", context)
    target = find_project(project) if project else None
    done = 0
    for image in images:
        try:
            action.run(ctx, image.pk, target)
            done += 1
        except CatalogError as exc:
            messages.error(request, f"{image.name or image.pk}: {exc.message}")
    if done:
        messages.success(request, f"{done} image{'s' if done != 1 else ''} {action.done}.")
    return redirect("ui:image-list")
