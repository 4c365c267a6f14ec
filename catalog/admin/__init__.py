"""The Django admin, one module per area; importing the package registers them all
(Django's admin autodiscovery imports ``catalog.admin``). Every page derives from
``base.ScopedModelAdmin``: staff who are not superusers see what the catalog's policy shows
them through the API (tests/ui/test_admin_scope.py walks them all)."""

from django.contrib import admin

from catalog.admin import (  # noqa: F401
    events,
    identity,
    images,
    lifecycle,
    metadefs,
    publication,
    quotas,
    system,
)
from catalog.admin.base import AdminLoginForm

admin.site.login_form = AdminLoginForm
# The app list stays on the index page and in the breadcrumbs: beside every changelist it took
# a fifth of a 1366 px screen, and the image list's columns were cut off.
admin.site.enable_nav_sidebar = False
