"""Image families as they are read: an image's family, a family's members in order, and the
family list of ``GET /v2/x-vitrine/families`` (marker pagination over (owner, name))."""

from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef

from catalog import policy
from catalog.context import RequestContext
from catalog.domain import families as rules
from catalog.exceptions import BadRequest
from catalog.models import Image, ImageProperty

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000


def family_name(image: Image) -> str | None:
    return (
        ImageProperty.objects.filter(image=image, name=rules.FAMILY)
        .values_list("value", flat=True)
        .first()
    )


def _family_images(owner: str | None, name: str):
    return Image.objects.filter(
        deleted=False,
        owner=owner,
        properties__name=rules.FAMILY,
        properties__value=name,
    )


def members(owner: str | None, name: str) -> list[rules.Member]:
    """The family's live images (owner's own only), unordered."""
    rows = list(_family_images(owner, name).values_list("id", "created_at"))
    versions = dict(
        ImageProperty.objects.filter(
            image_id__in=[r[0] for r in rows], name=rules.VERSION
        ).values_list("image_id", "value")
    )
    return [rules.Member(i, versions.get(i), created) for i, created in rows]


def deprecated_ids(image_ids) -> set[str]:
    return set(
        ImageProperty.objects.filter(
            image_id__in=list(image_ids), name=rules.DEPRECATED, value="true"
        ).values_list("image_id", flat=True)
    )


def hide_after_values() -> list[tuple[str, str]]:
    """(image id, ``x_vitrine_hide_after``) of live deprecated images not hidden yet."""
    deprecated = ImageProperty.objects.filter(
        image=OuterRef("image"), name=rules.DEPRECATED, value="true"
    )
    return list(
        ImageProperty.objects.filter(
            name=rules.HIDE_AFTER, image__deleted=False, image__os_hidden=False
        )
        .filter(Exists(deprecated))
        .values_list("image_id", "value")
    )


def family_id(owner: str | None, name: str) -> str:
    return f"{owner or ''}/{name}"


def _parse_limit(value) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid limit value: {value!r}. Expected a number.") from None
    if limit < 0:
        raise BadRequest("Limit must be greater than or equal to 0.")
    return min(limit, MAX_LIMIT)


def family_page(ctx: RequestContext, params) -> dict:
    """The families ``ctx`` sees (through the images it sees), ordered by (owner, name),
    each with its latest visible image, its image count and total size."""
    policy.enforce(ctx, "get_images")
    limit = _parse_limit(params.get("limit"))
    marker = params.get("marker") or None
    visible = policy.visible_to(ctx, Image.objects.all())
    rows = ImageProperty.objects.filter(name=rules.FAMILY, image__in=visible).values_list(
        "value", "image_id", "image__owner", "image__created_at", "image__size"
    )
    grouped = defaultdict(list)
    for name, image_id, owner, created, size in rows:
        grouped[(owner or "", name)].append((image_id, created, size or 0))
    keys = sorted(grouped)
    if marker is not None:
        owner, _, name = marker.partition("/")
        if (owner, name) not in grouped:
            raise BadRequest(f"Invalid marker: no family {marker} is visible to you.")
        keys = [k for k in keys if k > (owner, name)]
    page, more = keys[:limit], len(keys) > limit
    versions = dict(
        ImageProperty.objects.filter(
            name=rules.VERSION, image_id__in=[i for k in page for i, _, _ in grouped[k]]
        ).values_list("image_id", "value")
    )
    families = []
    for owner, name in page:
        images = grouped[(owner, name)]
        chain = rules.ordered([rules.Member(i, versions.get(i), c) for i, c, _ in images])
        families.append(
            {
                "id": family_id(owner, name),
                "owner": owner or None,
                "name": name,
                "latest_image_id": chain[-1].id,
                "latest_version": chain[-1].version,
                "image_count": len(images),
                "total_size": sum(size for _, _, size in images),
            }
        )
    body = {"families": families, "first": "/v2/x-vitrine/families"}
    if more and page:
        query = urlencode({"marker": family_id(*page[-1]), "limit": limit})
        body["next"] = f"/v2/x-vitrine/families?{query}"
    return body
