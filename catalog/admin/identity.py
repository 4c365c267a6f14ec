"""The Django admin for projects, memberships and tokens (the identity app's records); a
project's page shows its quota limits and usage."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from catalog.admin.base import ScopedInline, ScopedModelAdmin
from catalog.identity import services
from catalog.identity.models import Membership, Project, Token
from catalog.models import Image
from catalog.reads.units import iec_size
from catalog.services import quotas

QUOTA_LABELS = {
    quotas.IMAGE_SIZE_TOTAL: "stored data",
    quotas.IMAGE_COUNT_TOTAL: "images",
    quotas.IMAGE_STAGE_TOTAL: "staged data",
    quotas.IMAGE_COUNT_UPLOADING: "uploads in progress",
}
IMAGES_SHOWN = 50

# Identity records change without a policy check of their own (Keystone's admin API):
# staff who are not admins see their own projects, role assignments and tokens, and change
# nothing.


class MembershipInline(ScopedInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]
    admin_only_writes = True

    def scope(self, request, ctx, queryset):
        return queryset.filter(user=request.user)


@admin.register(Project)
class ProjectAdmin(ScopedModelAdmin):
    admin_only_writes = True
    list_display = ["name", "id", "enabled", "created_at"]
    search_fields = ["name", "id"]
    readonly_fields = ["created_at", "quota_usage"]
    inlines = [MembershipInline]

    def scope(self, request, ctx, queryset):
        return queryset.filter(memberships__user=request.user).distinct()

    class Media:
        css = {"all": ["catalog/admin.css"]}

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "images"] if obj is not None else self.readonly_fields

    @admin.display(description="quota limits and usage")
    def quota_usage(self, obj):
        """The project's limits (defaults or its overrides, set under Project quotas) as bars
        with units: sizes in IEC units, counts as numbers."""
        if obj.pk is None:
            return "-"
        cells = []
        for figure in quotas.usage_figures(obj.pk):
            label, shown = QUOTA_LABELS[figure.name], iec_size if figure.is_size else str
            used = shown(figure.usage)
            if figure.limit is None:
                bar = format_html("<span>{}</span>", "no limit")
                text = f"{used} used (unlimited)"
            else:
                top = max(figure.limit, figure.usage, 1)
                bar = format_html(
                    '<meter min="0" value="{}" max="{}" high="{}" aria-label="{}"></meter>',
                    figure.usage,
                    top,
                    top * 0.8,
                    label,
                )
                percent = round((figure.share or 0) * 100)
                text = f"{used} of {shown(figure.limit)} ({percent} %)"
            cells.append((label, bar, text))
        rows = format_html_join("", "<span>{}</span>{}<span>{}</span>", cells)
        return format_html('<div class="vt-quota">{}</div>', rows)

    @admin.display(description="images (newest first)")
    def images(self, obj):
        # Whoever may open this page has a role in the project (``scope``), so may list
        # its images through the API as well.
        queryset = Image.objects.filter(owner=obj.pk, deleted=False)
        rows = list(queryset.order_by("-created_at", "-id")[: IMAGES_SHOWN + 1])
        if not rows:
            return "-"
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> <span class="vt-badge vt-status-{}">{}</span> {}</li>',
            (
                (
                    reverse("admin:catalog_image_change", args=[image.pk]),
                    image.name or image.pk,
                    image.status,
                    image.status,
                    iec_size(image.size),
                )
                for image in rows[:IMAGES_SHOWN]
            ),
        )
        more = ""
        if len(rows) > IMAGES_SHOWN:
            url = reverse("admin:catalog_image_changelist") + f"?owner={obj.pk}"
            more = format_html('<li><a href="{}">all of them</a></li>', url)
        return format_html('<ul class="vt-images">{}{}</ul>', items, more)


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    admin_only_writes = True
    list_display = ["user", "project", "role"]
    list_filter = ["role", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "project__name"]

    def scope(self, request, ctx, queryset):
        return queryset.filter(user=request.user)


class TokenIssueForm(forms.ModelForm):
    ttl = forms.IntegerField(
        min_value=60,
        max_value=services.MAX_TOKEN_TTL,
        required=False,
        help_text="Lifetime in seconds (default: CATALOG_TOKEN_TTL).",
    )

    class Meta:
        model = Token
        fields = ["user", "project", "description"]

    def clean(self):
        data = super().clean()
        user, project = data.get("user"), data.get("project")
        if user and project and not services.project_roles(user, project):
            raise forms.ValidationError(f"{user} has no role in project {project}.")
        return data


@admin.register(Token)
class TokenAdmin(ScopedModelAdmin):
    """Tokens are issued here (the secret is shown once) and revoked by deleting them."""

    admin_only_writes = True
    list_display = ["user", "project", "created_at", "expires_at", "description"]
    list_filter = [("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "project__name", "description"]

    def scope(self, request, ctx, queryset):
        return queryset.filter(user=request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TokenIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["user", "project", "created_at", "expires_at", "description"] if obj else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "project", "ttl", "description"]
        return ["user", "project", "created_at", "expires_at", "description"]

    def save_model(self, request, obj, form, change):
        if change:
            return
        raw, token = services.issue_token(
            obj.user, obj.project, form.cleaned_data.get("ttl"), obj.description
        )
        obj.pk = token.pk
        self.message_user(
            request,
            f"Token issued (shown only once): {raw}",
            messages.SUCCESS,
        )
