"""The admin pages of the applications the catalog builds on (accounts, groups, the task
queue), re-registered with the catalog's scoping: superusers and admins see them whole; other
staff see their own account (read-only) and no group or queued task (a task's arguments name
other projects' images and carry sealed user tokens)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from catalog.admin.base import ScopedModelAdmin

User = get_user_model()


class ScopedUserAdmin(ScopedModelAdmin, UserAdmin):
    admin_only_writes = True

    def scope(self, request, ctx, queryset):
        return queryset.filter(pk=request.user.pk)


class ScopedGroupAdmin(ScopedModelAdmin, GroupAdmin):
    admin_only_writes = True


class ScopedTaskResultAdmin(ScopedModelAdmin, DBTaskResultAdmin):
    pass


for model, model_admin in (
    (User, ScopedUserAdmin),
    (Group, ScopedGroupAdmin),
    (DBTaskResult, ScopedTaskResultAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
