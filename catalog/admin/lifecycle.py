"""The admin pages of the image lifecycle: which publication checklist rules are on, and
each family's policy (automatic deprecation, retention). Saving goes through the services."""

from django import forms
from django.contrib import admin

from catalog.admin.base import ScopedModelAdmin
from catalog.domain import checklist as checklist_rules
from catalog.models import ChecklistRule, FamilyPolicy
from catalog.services import checklist, families


@admin.register(ChecklistRule)
class ChecklistRuleAdmin(ScopedModelAdmin):
    """One row per rule of the publication checklist; admins switch them on or off."""

    admin_only_writes = True  # catalog-wide settings, no policy rule of their own
    list_display = ["name", "description", "enabled", "updated_at"]
    list_editable = ["enabled"]
    fields = ["name", "description", "enabled"]
    readonly_fields = ["name", "description"]

    # Other staff see no row (the base's scope): the checklist is the admins' to configure.

    def has_add_permission(self, request):
        return False  # the rules are the checklist's table

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="rule")
    def description(self, obj):
        rule = checklist_rules.BY_NAME.get(obj.name)
        return rule.description if rule else "(unknown rule)"

    def save_model(self, request, obj, form, change):
        saved = checklist.set_rule_enabled(obj.name, obj.enabled)
        obj.pk = saved.pk


class FamilyPolicyForm(forms.ModelForm):
    class Meta:
        model = FamilyPolicy
        fields = [
            "owner",
            "name",
            "on_new_version",
            "hide_after_days",
            "keep_newest",
            "grace_days",
        ]
        help_texts = {
            "owner": "The project id that owns the family's images.",
            "name": "The images' x_vitrine_family value.",
            "keep_newest": "Retention: keep this many newest versions (empty: keep all).",
            "grace_days": "Days between retention's deactivation and its deletion.",
        }

    def validate_unique(self):
        pass  # saving an existing (owner, name) updates it (set_policy)


@admin.register(FamilyPolicy)
class FamilyPolicyAdmin(ScopedModelAdmin):
    """A family's policy; other staff see their own project's families' policies."""

    form = FamilyPolicyForm
    admin_only_writes = True
    list_display = ["name", "owner", "on_new_version", "hide_after_days", "keep_newest"]
    search_fields = ["name", "owner"]

    def scope(self, request, ctx, queryset):
        return queryset.filter(owner=ctx.project_id)

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("owner", "name")}
        saved = families.set_policy(form.cleaned_data["owner"], form.cleaned_data["name"], **data)
        obj.pk = saved.pk
