"""Django admin for quotas and publication requests. Every change goes through the services
(with the admin user's request context), so policy and records are the same as in the API."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from catalog import quotas
from catalog.exceptions import CatalogError
from catalog.identity import services as identity
from catalog.identity.models import Project
from catalog.models import ProjectQuota, PublicationRequest
from catalog.services import publication
from catalog.services import quotas as quota_service


def run_on_each(
    modeladmin, request, queryset, operation, done_message: str, noun: str = "selected item(s)"
) -> None:
    """Apply ``operation(ctx, item)`` to each selected row as the admin user, through the
    services; each refusal is reported with the service's message."""
    ctx = admin_context(request)
    if ctx is None:
        modeladmin.message_user(request, "You have no role in any project.", messages.ERROR)
        return
    done = 0
    for item in queryset:
        try:
            operation(ctx, item)
            done += 1
        except CatalogError as exc:
            modeladmin.message_user(request, f"{item}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} {noun} {done_message}.", messages.SUCCESS)


def admin_context(request):
    """The request context of the admin user (their project's roles; superusers are admins)."""
    return identity.session_context(request, request.user)


# --- Quotas --------------------------------------------------------------------------------


class ProjectQuotaForm(forms.ModelForm):
    class Meta:
        model = ProjectQuota
        fields = ["project_id", *quotas.QUOTA_NAMES]
        help_texts = {
            name: (
                f"{'MiB' if name in quotas.SIZE_QUOTAS else 'Images'}; -1 = unlimited; "
                "empty = the default from settings."
            )
            for name in quotas.QUOTA_NAMES
        }

    def validate_unique(self):
        # A project's row may exist without overrides (it is also the project's quota lock):
        # "adding" overrides for it updates that row (set_project_quota), never a 2nd row.
        pass

    def clean(self):
        data = super().clean()
        for name in quotas.QUOTA_NAMES:
            value = data.get(name)
            if value is not None and value < -1:
                self.add_error(name, "Use -1 for unlimited; other limits are 0 or more.")
        return data


@admin.register(ProjectQuota)
class ProjectQuotaAdmin(admin.ModelAdmin):
    form = ProjectQuotaForm
    list_display = ["project_id", "project_name", *quotas.QUOTA_NAMES, "updated_at"]
    search_fields = ["project_id"]
    readonly_fields = ["usage", "updated_at"]
    empty_value_display = "(default)"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project_id"] if obj else self.readonly_fields

    @admin.display(description="project")
    def project_name(self, obj):
        project = Project.objects.filter(pk=obj.project_id).first()
        return project.name if project else "-"

    @admin.display(description="limits and usage")
    def usage(self, obj):
        info = quotas.usage_info(obj.project_id)["usage"]
        return "; ".join(
            f"{name}: {figures['usage']} of {figures['limit']}" for name, figures in info.items()
        )

    def save_model(self, request, obj, form, change):
        limits = {name: form.cleaned_data.get(name) for name in quotas.QUOTA_NAMES}
        saved = quota_service.set_project_quota(obj.project_id, **limits)
        obj.pk = saved.pk


# --- Publication requests ------------------------------------------------------------------


class DecisionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        required=False,
        max_length=publication.MESSAGE_MAX_LENGTH,
    )


@admin.register(PublicationRequest)
class PublicationRequestAdmin(admin.ModelAdmin):
    """Requests are filed by owners through the API; admins decide here, with actions."""

    list_display = [
        "image",
        "project_id",
        "requested_by",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status"]
    search_fields = ["image__id", "image__name", "project_id", "requested_by"]
    actions = ["approve_requests", "reject_requests"]
    readonly_fields = [
        "image",
        "project_id",
        "requested_by",
        "message",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the decisions are the record

    @admin.action(description="Approve selected requests (make the images public)")
    def approve_requests(self, request, queryset):
        return self._decide(request, queryset, "approve_requests", publication.approve)

    @admin.action(description="Reject selected requests (a reason is required)")
    def reject_requests(self, request, queryset):
        return self._decide(request, queryset, "reject_requests", publication.reject)

    def _decide(self, request, queryset, action, decide):
        """First show a form for the reason; on its submission, decide each request."""
        form = DecisionForm(request.POST if "apply" in request.POST else None)
        form.fields["reason"].required = decide is publication.reject
        if not form.is_bound or not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Approve publication" if decide is publication.approve else "Reject",
                "opts": self.model._meta,
                "queryset": queryset,
                "form": form,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/catalog/publication_decision.html", context)
        reason = form.cleaned_data["reason"]
        run_on_each(
            self,
            request,
            queryset,
            lambda ctx, item: decide(ctx, item.pk, reason),
            "decided",
            noun="request(s)",
        )
        return None


# The image and membership admins live in their own module (registered on import).
from . import admin_images  # noqa: E402, F401
