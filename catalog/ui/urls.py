from django.urls import path

from catalog.ui import activity, bulk, images, publications, sharing, usage, views

app_name = "ui"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("project/", views.switch_project, name="switch-project"),
    path("images/", images.image_list, name="image-list"),
    path("images/new/", images.image_new, name="image-new"),
    path("images/bulk/", bulk.bulk, name="image-bulk"),
    path("images/<str:image_id>/", images.image_detail, name="image-detail"),
    path("images/<str:image_id>/edit/", images.image_edit, name="image-edit"),
    path("images/<str:image_id>/upload/", images.image_upload, name="image-upload"),
    path("images/<str:image_id>/share/", sharing.share, name="image-share"),
    path(
        "images/<str:image_id>/members/<str:member_id>/remove/",
        sharing.unshare,
        name="image-unshare",
    ),
    path("images/<str:image_id>/decide/", sharing.decide, name="image-decide"),
    path("images/<str:image_id>/<str:action>/", images.image_action, name="image-action"),
    path("invitations/", sharing.invitations, name="invitations"),
    path("publications/", publications.publications, name="publications"),
    path(
        "publications/<int:request_id>/decide/",
        publications.decide_publication,
        name="publication-decide",
    ),
    path("usage/", usage.usage, name="usage"),
    path("activity/", activity.activity, name="activity"),
    path("activity/webhooks/", activity.add_webhook, name="activity-webhook"),
    path("usage/<str:project_id>/chart.png", usage.usage_chart, name="usage-chart"),
    path(
        "usage/<str:project_id>/history.png",
        usage.usage_history_chart,
        name="usage-history-chart",
    ),
]
