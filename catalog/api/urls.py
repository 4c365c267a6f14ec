from django.urls import path

from catalog.api import (
    views_approvals,
    views_image_actions,
    views_image_data,
    views_images,
    views_import,
    views_members,
    views_schemas,
    views_tasks,
    views_usage,
)
from catalog.domain.schemas import SCHEMAS

urlpatterns = [
    path("images", views_images.ImageListView.as_view(), name="image-list"),
    path("images/<str:image_id>", views_images.ImageDetailView.as_view(), name="image-detail"),
    path("images/<str:image_id>/tasks", views_tasks.ImageTasksView.as_view(), name="image-tasks"),
    path("tasks", views_tasks.TaskListView.as_view(), name="task-list"),
    path("tasks/<str:task_id>", views_tasks.TaskDetailView.as_view(), name="task-detail"),
    path("images/<str:image_id>/file", views_image_data.ImageFileView.as_view(), name="image-file"),
    path(
        "images/<str:image_id>/import",
        views_import.ImageImportView.as_view(),
        name="image-import",
    ),
    path("info/import", views_import.ImportInfoView.as_view(), name="info-import"),
    path("info/stores", views_import.StoresInfoView.as_view(), name="info-stores"),
    path("info/stores/detail", views_import.StoresDetailView.as_view(), name="info-stores-detail"),
    path(
        "stores/<str:store_id>/<str:image_id>",
        views_import.StoreImageView.as_view(),
        name="store-image",
    ),
    path(
        "images/<str:image_id>/stage",
        views_image_data.ImageStageView.as_view(),
        name="image-stage",
    ),
    path(
        "images/<str:image_id>/actions/deactivate",
        views_image_actions.DeactivateView.as_view(),
        name="image-deactivate",
    ),
    path(
        "images/<str:image_id>/actions/reactivate",
        views_image_actions.ReactivateView.as_view(),
        name="image-reactivate",
    ),
    path(
        "images/<str:image_id>/tags/<str:tag>",
        views_image_actions.ImageTagView.as_view(),
        name="image-tag",
    ),
]

# Sharing, usage and the approval workflow.
urlpatterns += [
    path(
        "images/<str:image_id>/members",
        views_members.MemberListView.as_view(),
        name="image-member-list",
    ),
    path(
        "images/<str:image_id>/members/<str:member_id>",
        views_members.MemberDetailView.as_view(),
        name="image-member-detail",
    ),
    path("info/usage", views_usage.UsageView.as_view(), name="info-usage"),
    path(
        "x-vitrine/images/<str:image_id>/publication-requests",
        views_approvals.ImagePublicationRequestsView.as_view(),
        name="image-publication-requests",
    ),
    path(
        "x-vitrine/publication-requests",
        views_approvals.PublicationRequestsView.as_view(),
        name="publication-requests",
    ),
    path(
        "x-vitrine/member-invitations",
        views_approvals.MemberInvitationsView.as_view(),
        name="member-invitations",
    ),
]

urlpatterns += [
    path(
        f"schemas/{name}",
        views_schemas.SchemaView.as_view(schema_name=name),
        name=f"schema-{name}",
    )
    for name in SCHEMAS
]
