"""The /v2 URL table: one router registration per viewset (no trailing slashes, as Glance).

Route names follow the router: ``{basename}-list``, ``{basename}-detail`` and
``{basename}-{action}`` (``image-file``, ``image-deactivate``, ``info-usage``, ...).
"""

from rest_framework.routers import SimpleRouter

from catalog.api import images, info, members, publication, schemas, stores, tasks

# Path converters rather than regexes: an id or a tag is any text without "/" (dots too).
router = SimpleRouter(trailing_slash=False, use_regex_path=False)
router.register("images", images.ImageViewSet, basename="image")
router.register("images/<str:image_id>/members", members.MemberViewSet, basename="image-member")
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("info", info.InfoViewSet, basename="info")
router.register("stores", stores.StoreViewSet, basename="store")
router.register("schemas", schemas.SchemaViewSet, basename="schema")
router.register(
    "x-vitrine/images/<str:image_id>/publication-requests",
    publication.ImagePublicationRequestViewSet,
    basename="image-publication-request",
)
router.register(
    "x-vitrine/publication-requests",
    publication.PublicationRequestViewSet,
    basename="publication-request",
)
router.register(
    "x-vitrine/member-invitations",
    publication.MemberInvitationViewSet,
    basename="member-invitation",
)

urlpatterns = router.urls
