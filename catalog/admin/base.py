"""What every admin page shares: the admin user's request context and the action runner.
Every change made in the admin goes through the services with that context, so policy and
records are the same as in the API."""

from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

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


def admin_context(request):
    """The request context of the admin user (their project's roles; superusers are admins)."""
    return identity.session_context(request, request.user)


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
