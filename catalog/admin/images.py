"""Django admin for images and memberships (invitations).

The admin reads the models, but every write goes through the services with the admin user's
request context (``admin_context``), so policy, status transitions and quotas are those of the
API: actions call ``actions.deactivate``, ``images.update_image``, ``publication.approve``,
``images.delete_image`` and ``members.set_member_status``; inlines are read-only.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from catalog import policy
from catalog.admin.base import (
    ScopedInline,
    ScopedModelAdmin,
    admin_context,
    confirm_then_run,
    run_on_each,
    sees_everything,
)
from catalog.choices import ImageStatus, MemberStatus, PublicationStatus
from catalog.domain import patching
from catalog.exceptions import CatalogError
from catalog.identity.models import Project
from catalog.models import Image, ImageMember, ImageProperty, ImageTag, PublicationRequest
from catalog.reads.units import iec_size
from catalog.services import actions, members, publication
from catalog.services import images as image_service

GiB = 1024**3


def project_name(field: str) -> Subquery:
    """The name of the project whose id is in ``field`` (one query for a whole page)."""
    return Subquery(Project.objects.filter(pk=OuterRef(field)).values("name")[:1])


class OwnerFilter(admin.SimpleListFilter):
    title = "owner project"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        # The owners of the images this admin user may see, never every project's name.
        owners = set(model_admin.get_queryset(request).values_list("owner", flat=True))
        names = dict(Project.objects.filter(pk__in=owners).values_list("id", "name"))
        return sorted(((o, names.get(o, o)) for o in owners if o), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(owner=self.value()) if self.value() else queryset


class SizeFilter(admin.SimpleListFilter):
    title = "size"
    parameter_name = "size"
    BUCKETS = {
        "none": ("no data", Q(size__isnull=True)),
        "small": ("under 1 GiB", Q(size__lt=GiB)),
        "medium": ("1 to 10 GiB", Q(size__gte=GiB, size__lt=10 * GiB)),
        "large": ("10 GiB or more", Q(size__gte=10 * GiB)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BUCKETS.items()]

    def queryset(self, request, queryset):
        bucket = self.BUCKETS.get(self.value())
        return queryset.filter(bucket[1]) if bucket else queryset


def _pending_publication():
    return Exists(
        PublicationRequest.objects.filter(image=OuterRef("pk"), status=PublicationStatus.PENDING)
    )


class WorklistFilter(admin.SimpleListFilter):
    """The operator's saved questions: what waits for someone, what is stuck, what is off."""

    title = "worklist"
    parameter_name = "worklist"
    STUCK_AFTER = timedelta(days=1)

    def lookups(self, request, model_admin):
        return [
            ("pending", "pending approval"),
            ("stale", "queued for over a day"),
            ("deactivated", "deactivated"),
            ("nodata", "no data"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "pending":
            return queryset.filter(_pending_publication())
        if value == "stale":
            since = timezone.now() - self.STUCK_AFTER
            return queryset.filter(status=ImageStatus.QUEUED, created_at__lt=since)
        if value == "deactivated":
            return queryset.filter(status=ImageStatus.DEACTIVATED)
        if value == "nodata":
            return queryset.filter(size__isnull=True)
        return queryset


def badge(kind: str, value: str):
    """A coloured label (admin.css colours it by ``kind``-``value``)."""
    return format_html('<span class="vt-badge vt-{}-{}">{}</span>', kind, value, value)


class ReadOnlyInline(ScopedInline):
    """Shown, never written: tags, properties and members change through the services
    (the HTML catalog's edit page, the API)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TagInline(ReadOnlyInline):
    model = ImageTag
    fields = ["value"]


class PropertyInline(ReadOnlyInline):
    model = ImageProperty
    fields = ["name", "value"]
    verbose_name, verbose_name_plural = "property", "properties"  # not "propertys"


class MemberInline(ReadOnlyInline):
    model = ImageMember
    fields = ["member", "status", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted=False)

    def scope(self, request, ctx, queryset):
        # As GET /v2/images/{id}/members: the owner sees every member, a member itself only.
        return queryset.filter(Q(image__owner=ctx.project_id) | Q(member=ctx.project_id))


class ImageForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = ["name", "visibility", "protected", "os_hidden", "min_disk", "min_ram"]


# Computed and server-owned attributes: shown, never edited.
COMPUTED_FIELDS = [
    "id",
    "status",
    "owner_name",
    "container_format",
    "disk_format",
    "size_detail",
    "human_virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "stores",
    "created_at",
    "updated_at",
]


def _set_protected(value: bool):
    def operation(ctx, image):
        image_service.update_image(ctx, image.pk, patching.form_patch({"protected": value}))

    return operation


def _approve_pending(ctx, image):
    publication.approve_pending_for_image(ctx, image.pk)


@admin.register(Image)
class ImageAdmin(ScopedModelAdmin):
    form = ImageForm
    # Fits 1366 px: the id is shortened (copy button for the whole one), the two formats and
    # the two flags share a column each.
    list_display = [
        "name",
        "short_id",
        "status_badge",
        "visibility_badge",
        "owner_name",
        "human_size",
        "formats",
        "flags",
        "created",
    ]
    list_display_links = ["name"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    list_filter = [
        WorklistFilter,
        "status",
        "visibility",
        OwnerFilter,
        SizeFilter,
        "disk_format",
        "container_format",
        "protected",
        "os_hidden",
        "created_at",
    ]
    search_fields = [
        "name",
        "=id",
        "=checksum",
        "=os_hash_value",
        "tags__value",
        "properties__name",
        "properties__value",
    ]
    readonly_fields = COMPUTED_FIELDS
    fieldsets = [
        (None, {"fields": ["name", "visibility", "protected", "os_hidden", "min_disk", "min_ram"]}),
        ("Computed", {"fields": COMPUTED_FIELDS}),
    ]
    inlines = [TagInline, PropertyInline, MemberInline]
    actions = [
        "deactivate",
        "reactivate",
        "protect",
        "unprotect",
        "approve_publication",
        "delete_images",
    ]
    list_per_page = 50

    class Media:
        css = {"all": ["catalog/admin.css"]}
        js = ["catalog/admin.js"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(deleted=False)
            .annotate(owner_project=project_name("owner"))
        )

    def scope(self, request, ctx, queryset):
        return policy.visible_to(ctx, queryset)

    def get_fieldsets(self, request, obj=None):
        if sees_everything(request):
            return self.fieldsets
        # Store URLs are an admin's business (Glance's show_multiple_locations is off).
        computed = [name for name in COMPUTED_FIELDS if name != "stores"]
        return [self.fieldsets[0], ("Computed", {"fields": computed})]

    def get_actions(self, request):
        found = super().get_actions(request)
        found.pop("delete_selected", None)  # it deletes rows; ours deletes through the service
        return found

    def has_add_permission(self, request):
        return False  # images are created through the API or the HTML catalog

    def has_delete_permission(self, request, obj=None):
        return False  # the "Delete" action deletes through the service

    @admin.display(description="owner", ordering="owner_project")
    def owner_name(self, obj):
        if not obj.owner_project:
            return obj.owner or "-"
        url = reverse("admin:identity_project_change", args=[obj.owner])
        return format_html('<a href="{}" title="{}">{}</a>', url, obj.owner, obj.owner_project)

    @admin.display(description="id", ordering="id")
    def short_id(self, obj):
        return format_html(
            '<span class="vt-id" title="{}">{}</span> '
            '<button type="button" class="vt-copy" data-copy="{}" aria-label="Copy id {}">copy</button>',
            obj.pk,
            obj.pk[:8],
            obj.pk,
            obj.pk,
        )

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge("status", obj.status)

    @admin.display(description="visibility", ordering="visibility")
    def visibility_badge(self, obj):
        return badge("visibility", obj.visibility)

    @admin.display(description="size", ordering="size")
    def human_size(self, obj):
        if obj.size is None:
            return "-"
        return format_html('<span title="{} bytes">{}</span>', obj.size, iec_size(obj.size))

    @admin.display(description="size")
    def size_detail(self, obj):
        return _with_bytes(obj.size)

    @admin.display(description="virtual size")
    def human_virtual_size(self, obj):
        return _with_bytes(obj.virtual_size)

    @admin.display(description="formats")
    def formats(self, obj):
        return f"{obj.disk_format or '-'}/{obj.container_format or '-'}"

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return format_html(
            '<time datetime="{}">{}</time>',
            obj.created_at.isoformat(),
            timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M"),
        )

    @admin.display(description="flags")
    def flags(self, obj):
        names = [n for n, on in (("protected", obj.protected), ("hidden", obj.os_hidden)) if on]
        return (
            format_html_join(" ", '<span class="vt-badge vt-flag">{}</span>', ((n,) for n in names))
            or "-"
        )

    @admin.display(description="stores")
    def stores(self, obj):
        rows = obj.locations.filter(status="active").values_list("store", "url")
        return format_html_join("", "<div>{}: {}</div>", rows) or "-"

    def save_model(self, request, obj, form, change):
        """Edits are a patch through ``update_image``, with the admin's context."""
        ctx = admin_context(request)
        if ctx is None or not change:
            raise PermissionDenied("Images are created through the API, by a user with a role.")
        replace = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            image_service.update_image(ctx, obj.pk, patching.form_patch(replace))
        except CatalogError as exc:
            request.catalog_refused = True
            self.message_user(request, f"Not saved: {exc.message}", messages.ERROR)

    # A refused edit is neither "changed successfully" nor a change in the admin's history.
    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if level == messages.SUCCESS and getattr(request, "catalog_refused", False):
            return
        super().message_user(request, message, level, *args, **kwargs)

    def log_change(self, request, obj, message):
        if not getattr(request, "catalog_refused", False):
            return super().log_change(request, obj, message)
        return None

    def _confirmed(self, request, queryset, action, change, operation, done):
        return confirm_then_run(
            self,
            request,
            queryset,
            action=action,
            change=change,
            operation=operation,
            done_message=done,
            describe=_describe,
        )

    @admin.action(description="Deactivate selected images")
    def deactivate(self, request, queryset):
        return self._confirmed(
            request,
            queryset,
            "deactivate",
            "These images will be deactivated: their data can no longer be downloaded "
            "(admins still can) until they are reactivated.",
            lambda c, i: actions.deactivate(c, i.pk),
            "deactivated",
        )

    @admin.action(description="Reactivate selected images")
    def reactivate(self, request, queryset):
        return self._confirmed(
            request,
            queryset,
            "reactivate",
            "These images will be reactivated: their data can be downloaded again.",
            lambda c, i: actions.reactivate(c, i.pk),
            "reactivated",
        )

    @admin.action(description="Protect selected images")
    def protect(self, request, queryset):
        return self._confirmed(
            request,
            queryset,
            "protect",
            "These images will be protected: nobody can delete them until unprotected.",
            _set_protected(True),
            "protected",
        )

    @admin.action(description="Unprotect selected images")
    def unprotect(self, request, queryset):
        return self._confirmed(
            request,
            queryset,
            "unprotect",
            "These images will be unprotected: their owners can delete them.",
            _set_protected(False),
            "unprotected",
        )

    @admin.action(description="Approve the pending publication requests (make public)")
    def approve_publication(self, request, queryset):
        return self._confirmed(
            request,
            queryset,
            "approve_publication",
            "The pending publication request of each of these images will be approved: the "
            "images become public, visible to every project.",
            _approve_pending,
            "published",
        )

    @admin.action(description="Delete selected images (protected images are refused)")
    def delete_images(self, request, queryset):
        return self._confirmed(
            request,
            queryset,
            "delete_images",
            "These images and their data will be deleted for good (protected ones are "
            "refused and stay).",
            lambda c, i: image_service.delete_image(c, i.pk),
            "deleted",
        )


def _with_bytes(value: int | None) -> str:
    """``1.5 KiB (1536 bytes)``; the exact count only where the IEC figure rounds."""
    if value is None or value < 1024:
        return iec_size(value)
    return f"{iec_size(value)} ({value} bytes)"


def _describe(image) -> str:
    owner = getattr(image, "owner_project", None) or image.owner
    return (
        f"{image.name or '(no name)'} ({image.pk}), {image.status}, {image.visibility}, "
        f"{iec_size(image.size)}, owner {owner}" + (", protected" if image.protected else "")
    )


# --- Memberships (invitations) -------------------------------------------------------------


def _decide(status: str):
    def operation(ctx, row):
        members.set_member_status(ctx, row.image_id, row.member, status)

    return operation


@admin.register(ImageMember)
class ImageMemberAdmin(ScopedModelAdmin):
    """Who each shared image is offered to, and the member project's decision."""

    list_display = ["image", "member_name", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=image__id", "image__name", "member"]
    readonly_fields = ["image", "member", "status", "created_at", "updated_at"]
    actions = ["accept", "reject", "reset_pending"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(deleted=False, image__deleted=False)
            .select_related("image")
            .annotate(member_project=project_name("member"))
        )

    def scope(self, request, ctx, queryset):
        visible = policy.visible_to(ctx, Image.objects.all())
        return queryset.filter(image__in=visible).filter(
            Q(image__owner=ctx.project_id) | Q(member=ctx.project_id)
        )

    def get_actions(self, request):
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="member project", ordering="member_project")
    def member_name(self, obj):
        return obj.member_project or obj.member

    def _apply(self, request, queryset, status):
        run_on_each(self, request, queryset, _decide(status), f"set to {status}")

    @admin.action(description="Accept selected invitations")
    def accept(self, request, queryset):
        self._apply(request, queryset, MemberStatus.ACCEPTED)

    @admin.action(description="Reject selected invitations")
    def reject(self, request, queryset):
        self._apply(request, queryset, MemberStatus.REJECTED)

    @admin.action(description="Set selected invitations back to pending")
    def reset_pending(self, request, queryset):
        self._apply(request, queryset, MemberStatus.PENDING)
