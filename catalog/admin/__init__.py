"""The Django admin, one module per area; importing the package registers them all
(Django's admin autodiscovery imports ``catalog.admin``)."""

from django.contrib import admin

from catalog.admin import identity, images, publication, quotas  # noqa: F401
from catalog.admin.base import AdminLoginForm

admin.site.login_form = AdminLoginForm
