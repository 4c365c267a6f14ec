"""The Django admin of metadata definition namespaces, with inlines for their resource type
associations, properties, objects and tags. Every change goes through
``services/metadefs.py`` with the admin user's context, as the API's calls would (names,
validation, protected namespaces); nothing here saves a model form."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from catalog import policy
from catalog.admin.base import ScopedInline, ScopedModelAdmin, admin_context, run_on_each
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


def _checked(check, *args):
    """Run a domain check, as a form error."""
    try:
        return check(*args)
    except CatalogError as exc:
        raise ValidationError(f"{exc.message} {exc.details}".strip()) from None


# --- Inline forms: the API body each row stands for ----------------------------------------


class AssociationForm(forms.ModelForm):
    type_name = forms.CharField(label="resource type", max_length=80)

    class Meta:
        model = MetadefResourceTypeAssociation
        fields = ["prefix", "properties_target"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["type_name"] = self.instance.resource_type.name

    def body(self) -> dict:
        data = self.cleaned_data
        body = {"name": data["type_name"]}
        body.update({k: data[k] for k in ("prefix", "properties_target") if data.get(k)})
        return body

    def clean(self):
        data = super().clean()
        if not self.errors:
            _checked(rules.clean_association, self.body())
        return data


class PropertyForm(forms.ModelForm):
    class Meta:
        model = MetadefProperty
        fields = ["name", "definition"]
        help_texts = {"definition": 'JSON, e.g. {"title": "Disk bus", "type": "string"}'}

    def body(self) -> dict:
        return {**(self.cleaned_data["definition"] or {}), "name": self.cleaned_data["name"]}

    def clean(self):
        data = super().clean()
        if not self.errors:
            _checked(rules.check_body, "property", self.body())
            _checked(rules.clean_property, data["name"], self.body())
        return data


class ObjectForm(forms.ModelForm):
    required = forms.JSONField(required=False, help_text='JSON, e.g. ["cpu_policy"]')
    properties = forms.JSONField(required=False, help_text="JSON: name -> definition")

    class Meta:
        model = MetadefObject
        fields = ["name", "description", "required", "properties"]
        widgets = {"description": forms.TextInput()}

    def body(self) -> dict:
        data = self.cleaned_data
        body = {"name": data["name"], "required": data["required"] or []}
        body["properties"] = data["properties"] or {}
        if data.get("description"):
            body["description"] = data["description"]
        return body

    def clean(self):
        data = super().clean()
        if not self.errors:
            _checked(lambda b: rules.clean_object(rules.check_body("object", b)), self.body())
        return data


class TagForm(forms.ModelForm):
    class Meta:
        model = MetadefTag
        fields = ["name"]

    def body(self) -> dict:
        return {"name": self.cleaned_data["name"]}

    def clean(self):
        data = super().clean()
        if not self.errors:
            _checked(rules.check_body, "tag", self.body())
            _checked(rules.check_name, data["name"], "tag")
        return data


class ChildInline(ScopedInline):
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        # The services check uniqueness (a 409 becomes the page's refusal), not the formset.
        formset = super().get_formset(request, obj, **kwargs)
        formset.validate_unique = lambda self: None
        return formset


class AssociationInline(ChildInline):
    model = MetadefResourceTypeAssociation
    form = AssociationForm
    fields = ["type_name", "prefix", "properties_target"]
    verbose_name_plural = "resource type associations"


class PropertyInline(ChildInline):
    model = MetadefProperty
    form = PropertyForm


class ObjectInline(ChildInline):
    model = MetadefObject
    form = ObjectForm


class TagInline(ChildInline):
    model = MetadefTag
    form = TagForm


# --- Child writes through the services -----------------------------------------------------


def _original_name(form) -> str:
    row = type(form.instance).objects.select_related().get(pk=form.instance.pk)
    if isinstance(row, MetadefResourceTypeAssociation):
        return row.resource_type.name
    return row.name


def _write_association(ctx, ns, form, old):
    if old is not None:
        service.dissociate(ctx, ns, old)
    if form is not None:
        service.associate(ctx, ns, form.body())


def _write_property(ctx, ns, form, old):
    if form is None:
        service.delete_property(ctx, ns, old)
    elif old is None:
        service.create_property(ctx, ns, form.body())
    else:
        service.update_property(ctx, ns, old, form.body())


def _write_object(ctx, ns, form, old):
    if form is None:
        service.delete_object(ctx, ns, old)
    elif old is None:
        service.create_object(ctx, ns, form.body())
    else:
        service.update_object(ctx, ns, old, form.body())


def _write_tag(ctx, ns, form, old):
    if form is None:
        service.delete_tag(ctx, ns, old)
    elif old is None:
        service.create_tag(ctx, ns, form.body()["name"])
    else:
        service.update_tag(ctx, ns, old, form.body())


WRITERS = {
    MetadefResourceTypeAssociation: _write_association,
    MetadefProperty: _write_property,
    MetadefObject: _write_object,
    MetadefTag: _write_tag,
}


# --- The namespace page --------------------------------------------------------------------


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
            _checked(rules.clean_namespace, self.body())
        return data


def _delete(ctx, namespace):
    service.delete_namespace(ctx, namespace.namespace)


@admin.register(MetadefNamespace)
class MetadefNamespaceAdmin(ScopedModelAdmin):
    form = NamespaceForm
    list_display = ["namespace", "display_name", "visibility", "protected", "owner", "created_at"]
    list_filter = ["visibility", "protected"]
    search_fields = ["namespace", "display_name", "owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AssociationInline, PropertyInline, ObjectInline, TagInline]
    actions = ["delete_namespaces"]

    def scope(self, request, ctx, queryset):
        # As GET /v2/metadefs/namespaces: public ones and the caller's project's.
        return policy.visible_namespaces(ctx, queryset)

    def get_actions(self, request):
        found = super().get_actions(request)
        found.pop("delete_selected", None)  # it deletes rows; ours deletes through the service
        return found

    def has_delete_permission(self, request, obj=None):
        return False  # the "Delete" action deletes through the service (protected: refused)

    def _ctx(self, request):
        ctx = admin_context(request)
        if ctx is None:
            raise PermissionDenied("You have no role in any project.")
        return ctx

    def save_model(self, request, obj, form, change):
        """Create or replace through the service, as a POST or PUT of the API would. A
        refusal undoes the whole page's changes (the admin saves in one transaction)."""
        ctx = self._ctx(request)
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

    def save_formset(self, request, form, formset, change):
        """Each added, changed or deleted row is one service call."""
        ctx, ns = self._ctx(request), form.instance.namespace
        write = WRITERS[formset.model]
        deleted = list(formset.deleted_forms)
        try:
            for row in deleted:
                write(ctx, ns, None, _original_name(row))
            for row in formset.forms:
                if row in deleted or not row.has_changed():
                    continue
                old = _original_name(row) if row.instance.pk else None
                write(ctx, ns, row, old)
        except CatalogError as exc:
            raise PermissionDenied(exc.message) from None
        # What the admin's change message reads (nothing was saved through the formset).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.action(description="Delete selected namespaces (protected ones are refused)")
    def delete_namespaces(self, request, queryset):
        run_on_each(self, request, queryset, _delete, "deleted", noun="namespace(s)")
