from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from catalog.api import errors, health, versions

urlpatterns = [
    path("", versions.VersionsRootView.as_view(), name="versions-root"),
    path("versions", versions.VersionsView.as_view(), name="versions"),
    path("healthcheck", health.healthcheck, name="healthcheck"),
    path("healthcheck/ready", health.ready, name="readiness"),
    path("metrics", health.metrics_view, name="metrics"),
    path("v2/", include("catalog.api.urls")),
    path("identity", include("catalog.identity.urls")),
    path("admin/", admin.site.urls),
    path("catalog/", include("catalog.ui.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="openapi-schema"),
        name="swagger-ui",
    ),
]

handler400 = errors.handler400
handler403 = errors.handler403
handler404 = errors.handler404
handler500 = errors.handler500
