"""Image pages: the catalog list, an image's detail and edit form, new image, upload and
web-download import, and the image actions. Every write is a service call with the
session's context; refusals (CatalogError) are shown with their status code."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from catalog import policy
from catalog import properties as props
from catalog.domain import families as family_rules
from catalog.domain import patching
from catalog.exceptions import CatalogError, NotFound
from catalog.identity.models import Project
from catalog.models import ImageLocation
from catalog.reads import families as family_reads
from catalog.reads import metadefs as metadef_reads
from catalog.reads import queries
from catalog.reads.representations import serialize_image
from catalog.services import actions, imports, members, publication
from catalog.services import images as image_service
from catalog.ui import activity, listing
from catalog.ui.forms import ImageEditForm, ImportForm, NewImageForm, ShareForm, format_properties
from catalog.ui.session import catalog_view, projects_of

# Attributes shown in the detail table, in this order (properties and tags apart).
DETAIL_ATTRIBUTES = [
    "id",
    "name",
    "status",
    "visibility",
    "owner",
    "protected",
    "os_hidden",
    "disk_format",
    "container_format",
    "size",
    "virtual_size",
    "min_disk",
    "min_ram",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
]


def visible_image(ctx, image_id: str):
    try:
        return queries.get_visible_image(ctx, image_id)
    except NotFound:
        raise Http404("No such image.") from None


def may(ctx, rule: str, image) -> bool:
    return policy.check(ctx, rule, policy.image_target(ctx, image))


def project_names(ids) -> dict[str, str]:
    return dict(Project.objects.filter(pk__in=[i for i in ids if i]).values_list("id", "name"))


@catalog_view
def image_list(request, ctx):
    page = listing.catalog_page(ctx, request.GET)
    deprecated = family_reads.deprecated_ids(row["id"] for row in page.rows)
    for row in page.rows:
        row["deprecated"] = row["id"] in deprecated
    if not {"sort", "sort_key", "sort_dir"} & set(request.GET):
        # The default sort shows current images before deprecated or hidden ones (within
        # the page: the next page's marker was taken before this stable reordering).
        page.rows.sort(key=lambda row: row["deprecated"] or bool(row.get("os_hidden")))
    names = project_names({row["owner"] for row in page.rows})
    for row in page.rows:
        row["owner_name"] = names.get(row["owner"], row["owner"] or "")
    # The owner filter offers the user's own projects (every project to admins): the
    # project directory is not everyone's to read.
    projects = (
        Project.objects.filter(enabled=True).order_by("name")
        if ctx.is_admin
        else projects_of(request)
    )
    context = {
        "page": page,
        "selects": listing.filter_selects(request.GET, projects),
        "search": request.GET.get(listing.SEARCH, ""),
        "tag": request.GET.get("tag", ""),
        "show_hidden": bool(request.GET.get(listing.SHOW_HIDDEN)),
    }
    return render(request, "catalog/image_list.html", context, status=400 if page.error else 200)


def edit_form(ctx, image, data=None) -> ImageEditForm:
    """The edit form: typed controls for the properties the metadata definitions describe,
    the other properties as free key=value rows."""
    view = serialize_image(image)
    stored = editable_properties(image, view)
    definitions = metadef_reads.definitions_for(ctx)
    defined = {name for _, items in definitions for name, _ in items}
    initial = {
        "name": image.name or "",
        "visibility": image.visibility,
        "protected": image.protected,
        "properties": format_properties({k: v for k, v in stored.items() if k not in defined}),
        "tags": ", ".join(view["tags"]),
    }
    return ImageEditForm(data, initial=initial, definitions=definitions, stored=stored)


def editable_properties(image, view=None) -> dict[str, str]:
    """The users' custom properties (the server's own ``os_glance_*`` ones left out: they
    are shown with the import state, and a patch may not change them)."""
    view = view or serialize_image(image)
    return {
        p.name: p.value
        for p in image.properties.all()
        if p.name in view and not p.name.startswith(props.RESERVED_PREFIX)
    }


def server_properties(view: dict) -> dict[str, str]:
    """The import state the server keeps in ``os_glance_*`` properties (non-empty ones)."""
    return {k: v for k, v in view.items() if k.startswith(props.RESERVED_PREFIX) and v}


def detail_context(ctx, image, **extra) -> dict:
    view = serialize_image(image)
    shared_rows = []
    if image.visibility == "shared" and may(ctx, "get_members", image):
        shared_rows = members.list_members(ctx, image.pk)
    tasks = queries.tasks_of_image(ctx, image.pk)
    names = project_names([image.owner, *(m.member for m in shared_rows)])
    can_edit = may(ctx, "modify_image", image)
    return {
        "image": image,
        "attributes": [(name, view.get(name)) for name in DETAIL_ATTRIBUTES],
        "properties": editable_properties(image, view),
        "import_state": server_properties(view),
        "tags": view["tags"],
        "owner_name": names.get(image.owner, image.owner),
        "members": [(m, names.get(m.member, m.member)) for m in shared_rows],
        "locations": image.locations.filter(status=ImageLocation.ACTIVE),
        "tasks": tasks[:10],
        "publication_requests": publication.requests_for_image(ctx, image.pk)[:5]
        if can_edit
        else [],
        "can_edit": can_edit,
        "deprecated": family_rules.is_true(view.get(family_rules.DEPRECATED)),
        "successor": view.get(family_rules.SUPERSEDED_BY),
        # Admins publish directly; only an active, not yet public image can be asked for.
        "can_ask_publication": can_edit
        and not ctx.is_admin
        and image.status == "active"
        and image.visibility != "public",
        "can_download": may(ctx, "download_image", image) and image.status == "active",
        "can_share": image.visibility == "shared" and may(ctx, "add_member", image),
        "form": extra.pop("form", None) or (edit_form(ctx, image) if can_edit else None),
        "share_form": extra.pop("share_form", None) or ShareForm(),
        "history": activity.image_history(ctx, image.pk),
        **extra,
    }


@catalog_view
def image_detail(request, ctx, image_id):
    image = visible_image(ctx, image_id)
    return render(request, "catalog/image_detail.html", detail_context(ctx, image))


def edit_changes(image, form) -> list[patching.Change]:
    """The patch that takes ``image`` to what ``form`` shows: only what changed."""
    data = form.cleaned_data
    replace = {}
    if (image.name or "") != data["name"]:
        replace["name"] = data["name"] or None
    for key in ("visibility", "protected"):
        if getattr(image, key) != data[key]:
            replace[key] = data[key]
    before = editable_properties(image)
    replace.update({k: v for k, v in data["properties"].items() if before.get(k) != v})
    if image.tag_list != data["tags"]:
        replace["tags"] = data["tags"]
    removed = [name for name in before if name not in data["properties"]]
    return patching.form_patch(replace, removed)


@require_POST
@catalog_view
def image_edit(request, ctx, image_id):
    image = visible_image(ctx, image_id)
    form = edit_form(ctx, image, request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["visibility"] == "public" and image.visibility != "public":
                # Publishing goes through the checklist (an admin may override it with a
                # reason, which is recorded); the rest of the edit is a patch as usual.
                reason = request.POST.get("override_reason", "")
                publication.publish_directly(ctx, image.pk, reason)
                image = visible_image(ctx, image.pk)
            image_service.update_image(ctx, image.pk, edit_changes(image, form))
            messages.success(request, "Image saved.")
            return redirect("ui:image-detail", image.pk)
        except CatalogError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
    else:
        status = 400
    image = visible_image(ctx, image_id)
    context = detail_context(ctx, image, form=form, edit_open=True)
    return render(request, "catalog/image_detail.html", context, status=status)


@catalog_view
def image_new(request, ctx):
    form = NewImageForm(request.POST or None, definitions=metadef_reads.definitions_for(ctx))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            image = image_service.create_image(ctx, form.api_body())
            messages.success(request, "Image created: now give it its data.")
            return redirect("ui:image-upload", image.pk)
        except CatalogError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
    elif request.method == "POST":
        status = 400
    return render(request, "catalog/image_new.html", {"form": form}, status=status)


@catalog_view
def image_upload(request, ctx, image_id):
    """The data page: a file streamed by the browser to ``PUT /v2/images/{id}/file``, or a
    URL the server imports (web-download)."""
    image = visible_image(ctx, image_id)
    if not may(ctx, "upload_image", image):
        # Visible but not writable: a refusal with the API's words, not a "no such image".
        raise PermissionDenied(f"Not allowed to upload image data for image {image.pk}")
    form = ImportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        body = {"method": form.method()}
        try:
            imports.start_import(ctx, image.pk, body)
            messages.success(request, "Import started: its progress shows below.")
            return redirect("ui:image-detail", image.pk)
        except CatalogError as exc:
            field = "hash_value" if "x_vitrine_expected_hash" in exc.message else "uri"
            form.add_error(field, exc.message)
            status = exc.status_code
    elif request.method == "POST":
        status = 400
    context = {
        "image": image,
        "import_form": form,
        # The URL form only where the site enables the method (a POST is refused anyway).
        "web_download": "web-download" in settings.CATALOG_ENABLED_IMPORT_METHODS,
    }
    return render(request, "catalog/image_upload.html", context, status=status)


IMAGE_ACTIONS = {
    "deactivate": (actions.deactivate, "Image deactivated."),
    "reactivate": (actions.reactivate, "Image reactivated."),
    "delete": (image_service.delete_image, "Image deleted."),
    "request-publication": (publication.request_publication, "Publication requested."),
}


@require_POST
@catalog_view
def image_action(request, ctx, image_id, action):
    if action not in IMAGE_ACTIONS:
        raise Http404("No such action.")
    perform, done = IMAGE_ACTIONS[action]
    try:
        perform(ctx, image_id)
    except NotFound:
        raise Http404("No such image.") from None
    except CatalogError as exc:
        messages.error(request, exc.message)
        return redirect("ui:image-detail", image_id)
    messages.success(request, done)
    if action == "delete":
        return redirect("ui:image-list")
    return redirect("ui:image-detail", image_id)
