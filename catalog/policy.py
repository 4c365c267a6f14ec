"""Glance's default (secure RBAC) policy, as data.

``RULES`` maps Glance's rule names to predicates over the request context and a target.
The target of an image rule describes the image the way Glance's ImageTarget does:
``project_id`` is the image owner, ``member_id`` is the caller's project when the caller is a
member of the shared image, and ``visibility``.

``visible_to`` is the one queryset of images a caller may see (API, UI and commands alike).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalog.choices import ImageStatus, Visibility
from catalog.context import RequestContext
from catalog.exceptions import Forbidden, NotFound
from catalog.models import Image, ImageMember


@dataclass(frozen=True)
class Target:
    project_id: str | None = None
    member_id: str | None = None
    visibility: str | None = None


Predicate = Callable[[RequestContext, Target], bool]


def _any(*predicates: Predicate) -> Predicate:
    return lambda ctx, t: any(p(ctx, t) for p in predicates)


def _all(*predicates: Predicate) -> Predicate:
    return lambda ctx, t: all(p(ctx, t) for p in predicates)


def _role(name: str) -> Predicate:
    return lambda ctx, t: ctx.has_role(name)


def _visibility(value: str) -> Predicate:
    return lambda ctx, t: t.visibility == value


admin = _role("admin")
service = _role("service")
reader = _role("reader")
member = _role("member")


def own_project(ctx: RequestContext, t: Target) -> bool:
    return ctx.project_id is not None and ctx.project_id == t.project_id


def is_image_member(ctx: RequestContext, t: Target) -> bool:
    return ctx.project_id is not None and ctx.project_id == t.member_id


PROJECT_MEMBER = _all(member, own_project)
PROJECT_READER = _all(reader, own_project)
# Readable by a reader: own, shared with the caller, community, public (Glance's get_image).
_VISIBLE_KIND = _any(
    own_project,
    is_image_member,
    _visibility(Visibility.COMMUNITY),
    _visibility(Visibility.PUBLIC),
    _visibility(Visibility.SHARED),
)

ADMIN_OR_MEMBER = _any(admin, PROJECT_MEMBER)

# Metadefs: a reader sees its project's namespaces and the public ones; writes are admin's.
# The list rules target the caller's own project, so they need just the reader role.
METADEF_READ = _any(admin, _all(reader, _any(own_project, _visibility("public"))))
METADEF_READ_RULES = (
    "get_metadef_namespaces",
    "get_metadef_namespace",
    "get_metadef_properties",
    "get_metadef_property",
    "get_metadef_objects",
    "get_metadef_object",
    "get_metadef_tags",
    "get_metadef_tag",
    "list_metadef_resource_types",
    "get_metadef_resource_type",
)
METADEF_WRITE_RULES = (
    "add_metadef_namespace",
    "modify_metadef_namespace",
    "delete_metadef_namespace",
    "add_metadef_property",
    "modify_metadef_property",
    "remove_metadef_property",
    "add_metadef_object",
    "modify_metadef_object",
    "delete_metadef_object",
    "add_metadef_tag",
    "add_metadef_tags",
    "modify_metadef_tag",
    "delete_metadef_tag",
    "delete_metadef_tags",
    "add_metadef_resource_type_association",
    "remove_metadef_resource_type_association",
)

RULES: dict[str, Predicate] = {
    "context_is_admin": admin,
    "service_api": _any(service, admin),
    "add_image": ADMIN_OR_MEMBER,
    "get_images": _any(admin, PROJECT_READER),
    "get_image": _any(admin, _all(reader, _VISIBLE_KIND)),
    "modify_image": ADMIN_OR_MEMBER,
    "publicize_image": admin,
    "communitize_image": ADMIN_OR_MEMBER,
    "delete_image": ADMIN_OR_MEMBER,
    "download_image": _any(admin, _all(member, _VISIBLE_KIND)),
    # ``GET /file?prefer=``: choosing the store to read from (Glance: as download_image).
    "download_from_store": _any(admin, _all(member, _VISIBLE_KIND)),
    # The image cache API (/v2/cache): admins only, as Glance.
    **{
        rule: admin
        for rule in (
            "cache_list",
            "cache_image",
            "cache_delete",
            "cache_clean",
            "cache_prune",
            "list_cached_nodes",
        )
    },
    "upload_image": ADMIN_OR_MEMBER,
    "deactivate": ADMIN_OR_MEMBER,
    "reactivate": ADMIN_OR_MEMBER,
    "copy_image": admin,
    "get_image_location": _any(admin, PROJECT_READER),
    "set_image_location": ADMIN_OR_MEMBER,
    "delete_image_location": admin,
    "add_image_location": _any(service, admin, PROJECT_MEMBER),
    "fetch_image_location": _any(service, admin),
    "add_member": ADMIN_OR_MEMBER,
    "delete_member": ADMIN_OR_MEMBER,
    "get_member": _any(admin, _all(reader, _any(own_project, is_image_member))),
    "get_members": _any(admin, _all(reader, _any(own_project, is_image_member))),
    "modify_member": _any(admin, _all(member, is_image_member)),
    "stores_info_detail": _any(admin, service),
    "tasks_api_access": admin,
    "get_task": admin,
    "get_tasks": admin,
    # Vitrine's audit trail and webhooks: admins see the catalog's, members their project's.
    "get_events": _any(admin, member),
    "manage_webhooks": _any(admin, member),
    **{rule: METADEF_READ for rule in METADEF_READ_RULES},
    **{rule: admin for rule in METADEF_WRITE_RULES},
}


def check(ctx: RequestContext, rule: str, target: Target | None = None) -> bool:
    try:
        predicate = RULES[rule]
    except KeyError:
        raise ValueError(f"Unknown policy rule {rule!r}") from None
    if target is None:
        # Rules about the caller itself (get_images, add_image without an owner yet).
        target = Target(project_id=ctx.project_id)
    return predicate(ctx, target)


def enforce(ctx: RequestContext, rule: str, target: Target | None = None) -> None:
    if not check(ctx, rule, target):
        raise Forbidden(f"You are not authorized to complete {rule} action.")


# --- Images --------------------------------------------------------------------------------


def _member_row(ctx: RequestContext):
    return ImageMember.objects.filter(image=OuterRef("pk"), member=ctx.project_id, deleted=False)


def is_member_of(ctx: RequestContext, image) -> bool:
    if ctx.project_id is None or image.visibility != Visibility.SHARED:
        return False
    if image.owner == ctx.project_id:
        return False
    cache = getattr(image, "_prefetched_objects_cache", {})
    if "members" in cache:
        return any(m.member == ctx.project_id and not m.deleted for m in image.members.all())
    return image.members.filter(member=ctx.project_id, deleted=False).exists()


def image_target(ctx: RequestContext, image) -> Target:
    return Target(
        project_id=image.owner,
        member_id=ctx.project_id if is_member_of(ctx, image) else None,
        visibility=image.visibility,
    )


def is_visible(ctx: RequestContext, image) -> bool:
    """Glance's database gate (is_image_visible): may the caller know the image exists?"""
    if image.deleted:
        return False
    if ctx.is_admin or image.owner is None:
        return True
    if image.visibility in (Visibility.PUBLIC, Visibility.COMMUNITY):
        return True
    if ctx.project_id is not None and image.owner == ctx.project_id:
        return True
    return is_member_of(ctx, image)


def enforce_image(ctx: RequestContext, rule: str, image, not_found_message: str) -> None:
    """Enforce ``rule`` on ``image``, answering 404 (not 403) to callers who cannot see it.

    Glance masks refusals this way so that the existence of others' images never leaks.
    """
    if not is_visible(ctx, image):
        raise NotFound(not_found_message)
    target = image_target(ctx, image)
    if check(ctx, rule, target):
        return
    if rule != "get_image" and check(ctx, "get_image", target):
        raise Forbidden(f"You are not authorized to complete {rule} action.")
    raise NotFound(not_found_message)


def _visible_condition(ctx: RequestContext) -> Q:
    """The live images ``ctx`` may see (any member status), as one condition."""
    condition = Q(deleted=False)
    if ctx.is_admin:
        return condition
    seen = Q(owner__isnull=True) | Q(visibility__in=[Visibility.PUBLIC, Visibility.COMMUNITY])
    if ctx.project_id is not None:
        seen |= Q(owner=ctx.project_id)
        seen |= Q(visibility=Visibility.SHARED) & Exists(_member_row(ctx))
    return condition & seen


def visible_to(ctx: RequestContext, queryset: QuerySet) -> QuerySet:
    """Restrict an Image queryset to the live images ``ctx`` may see (any member status)."""
    return queryset.filter(_visible_condition(ctx))


def listed_for(
    ctx: RequestContext, queryset: QuerySet, *, member_status: str, visibility: str | None
) -> QuerySet:
    """The images ``GET /v2/images`` shows ``ctx`` before filters (Glance's
    ``_select_images_query``): the visible images, minus

    - shared images of other projects unless the caller's membership has ``member_status``
      (``accepted`` by default; ``all`` keeps every membership; no effect for admins);
    - without a ``visibility`` parameter, community images of other projects;
    - with one (other than ``all``), every image of another visibility;
    - killed images, which are never listed.

    One ``filter`` of one condition: every part is on the image's own columns or an
    ``Exists``, so this is the SQL of chained filters and excludes, without a queryset
    clone per part (each costs a list request about 0.3 ms: bench/data.py).
    """
    condition = _visible_condition(ctx) & ~Q(status=ImageStatus.KILLED)
    if not ctx.is_admin and ctx.project_id is not None and member_status != "all":
        condition &= (
            ~Q(visibility=Visibility.SHARED)
            | Q(owner=ctx.project_id)
            | Q(owner__isnull=True)
            | Exists(_member_row(ctx).filter(status=member_status))
        )
    if visibility is None:
        condition &= ~(Q(visibility=Visibility.COMMUNITY) & ~Q(owner=ctx.project_id))
    elif visibility != "all":
        condition &= Q(visibility=visibility)
    return queryset.filter(condition)


@lru_cache(maxsize=512)
def _listed_query(ctx: RequestContext, member_status: str, visibility: str | None):
    """The built query of ``listed_for`` on every image, per caller and parameters.

    Building it (its condition has two ``Exists`` subqueries) was a fifth of a list
    request (bench/data.py profiles it). A query is never changed once built: every
    queryset method works on a clone, so a cached one can be the start of many.
    """
    return listed_for(
        ctx, Image.objects.all(), member_status=member_status, visibility=visibility
    ).query


def listed_images(ctx: RequestContext, *, member_status: str, visibility: str | None) -> QuerySet:
    """``listed_for`` on every image (the list pages of the API and the UI)."""
    # Only what listed_for reads of the caller: the roles and the project.
    key = RequestContext(None, ctx.project_id, frozenset({"admin"} if ctx.is_admin else ()))
    queryset = Image.objects.all()
    queryset.query = _listed_query(key, member_status, visibility).chain()
    return queryset


# --- Metadefs ------------------------------------------------------------------------------


def namespace_target(namespace) -> Target:
    return Target(project_id=namespace.owner, visibility=namespace.visibility)


def namespace_is_visible(ctx: RequestContext, namespace) -> bool:
    """May the caller know the namespace exists (Glance's metadef visibility gate)?"""
    return (
        ctx.is_admin
        or namespace.visibility == "public"
        or (ctx.project_id is not None and namespace.owner == ctx.project_id)
    )


def visible_namespaces(ctx: RequestContext, queryset: QuerySet) -> QuerySet:
    """Restrict a MetadefNamespace queryset to those ``ctx`` may see."""
    if ctx.is_admin:
        return queryset
    condition = Q(visibility="public")
    if ctx.project_id is not None:
        condition |= Q(owner=ctx.project_id)
    return queryset.filter(condition)


def enforce_namespace(
    ctx: RequestContext, rule: str, namespace, read_rule: str, not_found_message: str
) -> None:
    """Enforce ``rule`` on a namespace: 404 with one message whether it does not exist, is
    invisible or unreadable to the caller; 403 only to those who may read it
    (docs/glance-differences.md#metadef-not-found)."""
    target = namespace_target(namespace)
    if not namespace_is_visible(ctx, namespace) or not check(ctx, read_rule, target):
        raise NotFound(not_found_message)
    enforce(ctx, rule, target)
