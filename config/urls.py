from django.contrib import admin
from django.urls import include, path

from catalog.api import errors, versions

urlpatterns = [
    path("", versions.VersionsRootView.as_view(), name="versions-root"),
    path("versions", versions.VersionsView.as_view(), name="versions"),
    path("v2/", include("catalog.api.urls")),
    path("admin/", admin.site.urls),
    path("catalog/", include("catalog.ui.urls")),
]

handler400 = errors.handler400
handler403 = errors.handler403
handler404 = errors.handler404
handler500 = errors.handler500
