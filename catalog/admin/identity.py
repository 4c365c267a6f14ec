"""The Django admin for projects, memberships and tokens (the identity app's records); a
project's page shows its quota limits and usage."""

from django import forms
from django.contrib import admin, messages

from catalog.admin.base import ScopedInline, ScopedModelAdmin
from catalog.identity import services
from catalog.identity.models import Membership, Project, Token
from catalog.services import quotas

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

    @admin.display(description="quota limits and usage")
    def quota_usage(self, obj):
        """The project's limits (defaults or its overrides, set under Project quotas)."""
        if obj.pk is None:
            return "-"
        info = quotas.usage_info(obj.pk)["usage"]
        return "; ".join(f"{name}: {f['usage']} of {f['limit']}" for name, f in info.items())


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
