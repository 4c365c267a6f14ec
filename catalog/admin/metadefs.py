"""The Django admin of metadata definition namespaces. Creating, editing and deleting go
through ``services/metadefs.py`` with the admin user's context (the API's rules: names,
protected namespaces, validation); the children are shown in read-only inlines and change
through the API or ``load_metadefs``."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html

from catalog.admin.base import admin_context, run_on_each
from catalog.domain import metadefs as rules
from catalog.exceptions import CatalogError
from catalog.models import (
    MetadefNamespace,
    MetadefObject,
    MetadefProperty,
    MetadefResourceTypeAssociation,
    MetadefTag,
)
from catalog.services import metadefs as service


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssociationInline(ReadOnlyInline):
    model = MetadefResourceTypeAssociation
    fields = ["resource_type", "prefix", "properties_target"]
    verbose_name_plural = "resource type associations"


def _json(value) -> str:
    return format_html("<code>{}</code>", json.dumps(value, ensure_ascii=False))


class PropertyInline(ReadOnlyInline):
    model = MetadefProperty
    fields = ["name", "rule"]
    readonly_fields = ["rule"]

    @admin.display(description="definition")
    def rule(self, obj):
        return _json(obj.definition)


class ObjectInline(ReadOnlyInline):
    model = MetadefObject
    fields = ["name", "description", "required_keys", "property_names"]
    readonly_fields = ["required_keys", "property_names"]

    @admin.display(description="required")
    def required_keys(self, obj):
        return ", ".join(obj.required) or "-"

    @admin.display(description="properties")
    def property_names(self, obj):
        return ", ".join(obj.properties) or "-"


class TagInline(ReadOnlyInline):
    model = MetadefTag
    fields = ["name"]


class NamespaceForm(forms.ModelForm):
    visibility = forms.ChoiceField(choices=[(v, v) for v in rules.VISIBILITIES])

    class Meta:
        model = MetadefNamespace
        fields = ["namespace", "display_name", "description", "visibility", "protected", "owner"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def body(self) -> dict:
        """The form as an API body (unset text fields are left out, as a client would)."""
        data = self.cleaned_data
        body = {"namespace": data["namespace"], "visibility": data["visibility"]}
        body["protected"] = data["protected"]
        for key in ("display_name", "description", "owner"):
            if data.get(key):
                body[key] = data[key]
        return body

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                rules.clean_namespace(self.body())
            except CatalogError as exc:
                raise ValidationError(exc.message) from None
        return data


def _delete(ctx, namespace):
    service.delete_namespace(ctx, namespace.namespace)


@admin.register(MetadefNamespace)
class MetadefNamespaceAdmin(admin.ModelAdmin):
    form = NamespaceForm
    list_display = ["namespace", "display_name", "visibility", "protected", "owner", "created_at"]
    list_filter = ["visibility", "protected"]
    search_fields = ["namespace", "display_name", "owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AssociationInline, PropertyInline, ObjectInline, TagInline]
    actions = ["delete_namespaces"]

    def get_actions(self, request):
        found = super().get_actions(request)
        found.pop("delete_selected", None)  # it deletes rows; ours deletes through the service
        return found

    def has_delete_permission(self, request, obj=None):
        return False  # the "Delete" action deletes through the service (protected: refused)

    def save_model(self, request, obj, form, change):
        """Create or replace through the service, as a POST or PUT of the API would."""
        ctx = admin_context(request)
        if ctx is None:
            raise PermissionDenied("You have no role in any project.")
        try:
            if change:
                original = MetadefNamespace.objects.get(pk=obj.pk).namespace
                saved = service.update_namespace(ctx, original, form.body())
            else:
                saved, _ = service.create_namespace(ctx, form.body())
        except CatalogError as exc:
            raise PermissionDenied(exc.message) from None
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description="Delete selected namespaces (protected ones are refused)")
    def delete_namespaces(self, request, queryset):
        run_on_each(self, request, queryset, _delete, "deleted", noun="namespace(s)")
