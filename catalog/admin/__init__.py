"""The Django admin, one module per area; importing the package registers them all
(Django's admin autodiscovery imports ``catalog.admin``). Every page derives from
``base.ScopedModelAdmin``: staff who are not superusers see what the catalog's policy shows
them through the API (tests/ui/test_admin_scope.py walks them all)."""

from django.contrib import admin

from catalog.admin import (  # noqa: F401
    events,
    identity,
    images,
    metadefs,
    publication,
    quotas,
    system,
)
from catalog.admin.base import AdminLoginForm

admin.site.login_form = AdminLoginForm
