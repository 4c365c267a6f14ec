from django.urls import path

from . import views_approvals, views_images, views_members, views_usage

urlpatterns = [
    path("images", views_images.ImageListView.as_view(), name="image-list"),
    path("images/<str:image_id>", views_images.ImageDetailView.as_view(), name="image-detail"),
]

# Sharing, usage and the approval workflow (issue 6).
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
