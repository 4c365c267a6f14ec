from django.urls import path

from catalog.schemas import SCHEMAS

from . import views_images, views_schemas

urlpatterns = [
    path("images", views_images.ImageListView.as_view(), name="image-list"),
    path("images/<str:image_id>", views_images.ImageDetailView.as_view(), name="image-detail"),
    *(
        path(
            f"schemas/{name}",
            views_schemas.SchemaView.as_view(schema_name=name),
            name=f"schema-{name}",
        )
        for name in SCHEMAS
    ),
]
