"""The Django admin for per-project quota overrides (set through the quota service)."""

from django import forms
from django.contrib import admin

from catalog.admin.base import ScopedModelAdmin
from catalog.identity.models import Project
from catalog.models import ProjectQuota
from catalog.reads.units import iec_from_mib, iec_size
from catalog.services import quotas


def _limit_column(name: str):
    """A list column showing an override with its unit ("50 GiB", "100 images")."""

    @admin.display(description=name, ordering=name)
    def column(self, obj):
        value = getattr(obj, name)
        if value is None:
            return "(default)"
        if value < 0:
            return "unlimited"
        return iec_from_mib(value) if name in quotas.SIZE_QUOTAS else str(value)

    column.__name__ = f"{name}_shown"
    return column


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
class ProjectQuotaAdmin(ScopedModelAdmin):
    """Overrides are an admin's to set; other staff see their own project's (as
    /v2/info/usage shows a project its own limits)."""

    form = ProjectQuotaForm
    admin_only_writes = True  # set_project_quota takes no request context
    list_display = [
        "project_id",
        "project_name",
        *(f"{name}_shown" for name in quotas.QUOTA_NAMES),
        "updated_at",
    ]
    search_fields = ["project_id"]
    readonly_fields = ["usage", "updated_at"]
    empty_value_display = "(default)"

    def scope(self, request, ctx, queryset):
        return queryset.filter(project_id=ctx.project_id)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project_id"] if obj else self.readonly_fields

    @admin.display(description="project")
    def project_name(self, obj):
        project = Project.objects.filter(pk=obj.project_id).first()
        return project.name if project else "-"

    image_size_total_shown = _limit_column(quotas.IMAGE_SIZE_TOTAL)
    image_count_total_shown = _limit_column(quotas.IMAGE_COUNT_TOTAL)
    image_stage_total_shown = _limit_column(quotas.IMAGE_STAGE_TOTAL)
    image_count_uploading_shown = _limit_column(quotas.IMAGE_COUNT_UPLOADING)

    @admin.display(description="limits and usage")
    def usage(self, obj):
        parts = []
        for figure in quotas.usage_figures(obj.project_id):
            shown = iec_size if figure.is_size else str
            limit = "unlimited" if figure.limit is None else shown(figure.limit)
            parts.append(f"{figure.name}: {shown(figure.usage)} of {limit}")
        return "; ".join(parts)

    def save_model(self, request, obj, form, change):
        limits = {name: form.cleaned_data.get(name) for name in quotas.QUOTA_NAMES}
        saved = quotas.set_project_quota(obj.project_id, **limits)
        obj.pk = saved.pk
