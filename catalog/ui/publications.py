"""Publication requests in the HTML catalog: owners follow theirs; admins approve or reject
them (the same service and policy as the Django admin and the API)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from catalog.choices import PublicationStatus
from catalog.exceptions import CatalogError
from catalog.services import publication
from catalog.ui.session import catalog_view

FILTERS = [*PublicationStatus.values, "all"]


@catalog_view
def publications(request, ctx):
    wanted = request.GET.get("status", PublicationStatus.PENDING)
    if wanted not in FILTERS:
        wanted = PublicationStatus.PENDING
    try:
        found = publication.requests_visible_to(ctx, None if wanted == "all" else wanted)
        rows = list(found.select_related("image")[:200])
    except CatalogError as exc:
        messages.error(request, exc.message)
        rows = []
    context = {"rows": rows, "status": wanted, "filters": FILTERS}
    return render(request, "catalog/publications.html", context)


@require_POST
@catalog_view
def decide_publication(request, ctx, request_id):
    """An admin approves (the image becomes public) or rejects (a reason is required)."""
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")
    decide = {"approve": publication.approve, "reject": publication.reject}.get(decision)
    if decide is None:
        messages.error(request, "Choose approve or reject.")
    else:
        try:
            decide(ctx, request_id, reason)
            past = {"approve": "approved", "reject": "rejected"}[decision]
            messages.success(request, f"Publication request {past}.")
        except CatalogError as exc:
            messages.error(request, exc.message)
    return redirect("ui:publications")
