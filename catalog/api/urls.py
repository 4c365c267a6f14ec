"""The /v2 URL table: one router registration per viewset (no trailing slashes, as Glance).

Route names follow the router: ``{basename}-list``, ``{basename}-detail`` and
``{basename}-{action}`` (``image-file``, ``image-deactivate``, ``info-usage``, ...).
"""

from rest_framework.routers import Route, SimpleRouter

from catalog.api import (
    cache,
    images,
    info,
    members,
    metadefs,
    publication,
    schemas,
    stores,
    tasks,
)
from catalog.api.events import EventViewSet, WebhookViewSet

# Glance's metadefs add two verbs the stock routes lack: DELETE on a collection (delete all)
# and POST on an item (create one tag by name). A viewset without those methods is unchanged.
_EXTRA = {"{basename}-list": {"delete": "destroy_all"}, "{basename}-detail": {"post": "create_one"}}


class CatalogRouter(SimpleRouter):
    routes = [
        route._replace(mapping={**route.mapping, **_EXTRA[route.name]})
        if isinstance(route, Route) and route.name in _EXTRA
        else route
        for route in SimpleRouter.routes
    ]


# Path converters rather than regexes: an id or a tag is any text without "/" (dots too).
router = CatalogRouter(trailing_slash=False, use_regex_path=False)
router.register("images", images.ImageViewSet, basename="image")
router.register("images/<str:image_id>/members", members.MemberViewSet, basename="image-member")
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("info", info.InfoViewSet, basename="info")
router.register("stores", stores.StoreViewSet, basename="store")
router.register("schemas", schemas.SchemaViewSet, basename="schema")
router.register("cache", cache.CacheViewSet, basename="cache")
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
router.register("x-vitrine/families", publication.FamilyViewSet, basename="family")
router.register(
    "x-vitrine/member-invitations",
    publication.MemberInvitationViewSet,
    basename="member-invitation",
)

router.register("x-vitrine/events", EventViewSet, basename="event")
router.register("x-vitrine/webhooks", WebhookViewSet, basename="webhook")

_NS = "metadefs/namespaces/<str:namespace>"
router.register("metadefs/namespaces", metadefs.NamespaceViewSet, basename="metadef-namespace")
router.register(f"{_NS}/properties", metadefs.PropertyViewSet, basename="metadef-property")
router.register(f"{_NS}/objects", metadefs.ObjectViewSet, basename="metadef-object")
router.register(f"{_NS}/tags", metadefs.TagViewSet, basename="metadef-tag")
router.register(
    f"{_NS}/resource_types", metadefs.AssociationViewSet, basename="metadef-association"
)
router.register(
    "metadefs/resource_types", metadefs.ResourceTypeViewSet, basename="metadef-resource-type"
)

urlpatterns = router.urls
