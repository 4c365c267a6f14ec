from django.urls import path

from . import views_images, views_tasks

urlpatterns = [
    path("images", views_images.ImageListView.as_view(), name="image-list"),
    path("images/<str:image_id>", views_images.ImageDetailView.as_view(), name="image-detail"),
    path("images/<str:image_id>/tasks", views_tasks.ImageTasksView.as_view(), name="image-tasks"),
    path("tasks", views_tasks.TaskListView.as_view(), name="task-list"),
    path("tasks/<str:task_id>", views_tasks.TaskDetailView.as_view(), name="task-detail"),
]
