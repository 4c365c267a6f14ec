from django.urls import path, re_path

from catalog.identity import views

urlpatterns = [
    path("", views.IdentityVersionsView.as_view(), name="identity-versions"),
    path("/", views.IdentityVersionsView.as_view()),
    path("/v3", views.IdentityV3View.as_view(), name="identity-v3"),
    path("/v3/", views.IdentityV3View.as_view()),
    path("/v3/auth/tokens", views.TokensView.as_view(), name="identity-tokens"),
    path("/v3/auth/catalog", views.AuthCatalogView.as_view(), name="identity-auth-catalog"),
    path("/v3/auth/projects", views.AuthProjectsView.as_view(), name="identity-auth-projects"),
    path("/v3/projects", views.ProjectListView.as_view(), name="identity-projects"),
    path("/v3/projects/<str:project_id>", views.ProjectView.as_view(), name="identity-project"),
    # Anything else under /identity: a 404 in Keystone's body, not the image API's.
    re_path(r"^/", views.not_found),
]
