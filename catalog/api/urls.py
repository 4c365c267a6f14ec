from django.urls import path

from . import views_image_actions, views_image_data, views_images

urlpatterns = [
    path("images", views_images.ImageListView.as_view(), name="image-list"),
    path("images/<str:image_id>", views_images.ImageDetailView.as_view(), name="image-detail"),
    path("images/<str:image_id>/file", views_image_data.ImageFileView.as_view(), name="image-file"),
    path(
        "images/<str:image_id>/actions/deactivate",
        views_image_actions.ImageActionView.as_view(action="deactivate"),
        name="image-deactivate",
    ),
    path(
        "images/<str:image_id>/actions/reactivate",
        views_image_actions.ImageActionView.as_view(action="reactivate"),
        name="image-reactivate",
    ),
    path(
        "images/<str:image_id>/tags/<str:tag>",
        views_image_actions.ImageTagView.as_view(),
        name="image-tag",
    ),
]
