"""What every admin page shares: the admin user's request context and the action runner.
Every change made in the admin goes through the services with that context, so policy and
records are the same as in the API."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.template.response import TemplateResponse

from catalog.exceptions import CatalogError
from catalog.identity import services as identity
from catalog.identity import throttling


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


def confirm_then_run(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    change: str,
    operation,
    done_message: str,
    describe=str,
):
    """A bulk action in two steps: first a page listing each selected row and what will
    change (``change``), then, once confirmed, ``run_on_each`` through the services."""
    if request.POST.get("confirmed") == "yes":
        run_on_each(modeladmin, request, queryset, operation, done_message)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Are you sure?",
        "opts": modeladmin.model._meta,
        "rows": [(item.pk, describe(item)) for item in queryset],
        "change": change,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/catalog/confirm_action.html", context)


def admin_context(request):
    """The request context of the admin user (their project's roles; superusers are admins),
    worked out once per request."""
    if not hasattr(request, "_catalog_admin_context"):
        request._catalog_admin_context = identity.session_context(request, request.user)
    return request._catalog_admin_context


def sees_everything(request) -> bool:
    """Superusers, and staff whose context is an admin's (as the API would treat them)."""
    if request.user.is_superuser:
        return True
    ctx = admin_context(request)
    return ctx is not None and ctx.is_admin


class Scoped:
    """What every catalog admin page (and inline) shares: a non-superuser staff account sees
    only the rows the catalog's policy shows its request context through the API (``scope``),
    and its writes go through the services with that context. Superusers see everything."""

    # True where saving writes records without a policy check of its own (identity records,
    # quota overrides): then only superusers and admins may add, change or delete.
    admin_only_writes = False

    def scope(self, request, ctx, queryset):
        """The part of ``queryset`` that ``ctx`` (not an admin) may see; none by default."""
        return queryset.none()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_everything(request):
            return queryset
        ctx = admin_context(request)
        return self.scope(request, ctx, queryset) if ctx is not None else queryset.none()

    def _may_write(self, request) -> bool:
        return not self.admin_only_writes or sees_everything(request)

    def has_add_permission(self, request, *args):
        return self._may_write(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request) and super().has_delete_permission(request, obj)


class ScopedModelAdmin(Scoped, admin.ModelAdmin):
    """The base of every catalog admin page: changelists and filters show the scoped rows,
    and the change, history and delete pages of any other row are 404."""

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404(f"No {self.opts.verbose_name} with this id.")
        return found


class ScopedInline(Scoped, admin.TabularInline):
    """An inline with the same rule: rows of a visible object may still be others' (the
    members of a shared image)."""

    def scope(self, request, ctx, queryset):
        return queryset  # by default, an inline row is visible with its object


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login, with the same limits on password guessing as the API's and the
    catalog's (``identity/throttling.py``)."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        attempt = throttling.guard_login_form(self.request, username)
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is None:  # a wrong password, not a refused (non-staff) user
                attempt.failed()
            raise
        attempt.succeeded()
        return cleaned
