"""Glance's marker (keyset) pagination and the ``first``/``next``/``schema`` envelope.

A page is one ordered query with ``LIMIT``: the marker becomes a WHERE condition on the sort
keys (never an OFFSET), so a deep page costs what the first one does.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import connections
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from catalog import policy
from catalog import properties as props
from catalog.context import RequestContext
from catalog.domain import listing
from catalog.exceptions import BadRequest
from catalog.models import Image
from catalog.reads.compiled import CompiledCache, CompiledQuery
from catalog.reads.filters import ImageFilterSet
from catalog.reads.representations import LIST_COLUMNS, serialize_rows

SCHEMA_IMAGES = "/v2/schemas/images"


@dataclass(frozen=True)
class PageRequest:
    """The control parameters of a list request (everything but the filters)."""

    limit: int
    marker: str | None
    member_status: str
    visibility: str | None
    order: tuple[listing.SortKey, ...]

    @classmethod
    def from_query(cls, query) -> "PageRequest":
        listing.check_query_text(query)
        return cls(
            limit=listing.parse_limit(
                query.get("limit"),
                settings.CATALOG_LIMIT_PARAM_DEFAULT,
                settings.CATALOG_API_LIMIT_MAX,
            ),
            marker=query.get("marker"),
            member_status=listing.parse_member_status(query.get("member_status")),
            visibility=listing.parse_visibility(query.get("visibility")),
            order=listing.parse_sort(
                query.getlist("sort"), query.getlist("sort_key"), query.getlist("sort_dir")
            ),
        )


def _null_stand_in(key: str):
    """What a NULL sorts as: Glance compares markers with NULL read as '' or 0."""
    kind = props.ATTRIBUTES[key].schema.get("type")
    if not isinstance(kind, list) or "null" not in kind:
        return None
    return 0 if "integer" in kind else ""


def _sort_reference(key: str, aliases: dict) -> str:
    """The name to order and compare on: the column, or a NULL-free alias of it."""
    stand_in = _null_stand_in(key)
    if stand_in is None:
        return key
    alias = f"sort_{key}"
    field = Image._meta.get_field(key)
    aliases[alias] = Coalesce(F(key), Value(stand_in), output_field=type(field)())
    return alias


def _marker_values(ctx: RequestContext, marker: str, order) -> list:
    """The marker's sort values. An unknown marker and one the caller may not see are the
    same 400 (Glance's 403 for the latter leaks its existence:
    docs/glance-differences.md#invisible-marker)."""
    row = None
    if len(marker) <= 36:
        row = (
            policy.visible_to(ctx, Image.objects.all())
            .filter(pk=marker)
            .values(*{s.key for s in order})
            .first()
        )
    if row is None:
        raise BadRequest(f"No image found with ID {marker}")
    values = []
    for sort_key in order:
        value = row[sort_key.key]
        values.append(_null_stand_in(sort_key.key) if value is None else value)
    return values


def _after(references: list[str], order, values: list) -> Q:
    """Rows strictly after the marker in the order: (k1 > v1) or (k1 = v1 and k2 > v2) ...

    The leading ``k1 >= v1`` is implied, but spelled out it lets the database seek the index
    of the first key instead of scanning from the start.
    """
    condition, equal = Q(), Q()
    for reference, sort_key, value in zip(references, order, values, strict=True):
        op = "lt" if sort_key.descending else "gt"
        condition |= equal & Q(**{f"{reference}__{op}": value})
        equal &= Q(**{reference: value})
    lead = "lte" if order[0].descending else "gte"
    return Q(**{f"{references[0]}__{lead}": values[0]}) & condition


def page_rows(ctx: RequestContext, queryset: QuerySet, page: PageRequest) -> list[dict]:
    """One page of ``LIST_COLUMNS`` rows of ``queryset`` in the requested order."""
    if page.limit == 0:
        return []
    return list(_page_queryset(ctx, queryset, page))


def _page_queryset(ctx: RequestContext, queryset: QuerySet, page: PageRequest) -> QuerySet:
    aliases: dict = {}
    references = [_sort_reference(s.key, aliases) for s in page.order]
    queryset = queryset.alias(**aliases)
    if page.marker is not None:
        values = _marker_values(ctx, page.marker, page.order)
        queryset = queryset.filter(_after(references, page.order, values))
    ordering = [
        F(ref).desc() if s.descending else F(ref).asc()
        for ref, s in zip(references, page.order, strict=True)
    ]
    return queryset.order_by(*ordering).values(*LIST_COLUMNS)[: page.limit]


# First pages of recent list requests, compiled. Their SQL depends only on what the key
# holds: the caller's project and admin role (all that policy.listed_images reads of it),
# the parsed page and every query parameter (the filters read them raw); nothing in it
# depends on the data. Pages after a marker are built each time (the marker's values are
# part of their SQL).
FIRST_PAGES = CompiledCache(512)


def image_page(ctx: RequestContext, query, page: PageRequest) -> list[dict]:
    """The rows of ``GET /v2/images``: what ``ctx`` may list, filtered by ``query`` (the
    request's QueryDict), one ``page`` of it.

    Building and compiling this query was half of a small list request (bench/data.py):
    a first page of a query seen before runs its compiled SQL again. A request that is a
    400 is never compiled, so never cached: the same request is the same 400 again.
    """
    key = None
    if page.marker is None:
        key = (
            connections[Image.objects.db].vendor,
            ctx.project_id,
            ctx.is_admin,
            page,
            tuple((name, tuple(values)) for name, values in query.lists()),
        )
        compiled = FIRST_PAGES.get(key)
        if compiled is not None:
            return compiled.rows()
    candidates = policy.listed_images(
        ctx, member_status=page.member_status, visibility=page.visibility
    )
    images = ImageFilterSet(query, queryset=candidates).qs
    if page.limit == 0:
        return []
    compiled = CompiledQuery(_page_queryset(ctx, images, page))
    if key is not None:
        FIRST_PAGES.put(key, compiled)
    return compiled.rows()


def _link(query, marker: str | None) -> str:
    """``/v2/images`` with every query parameter, repeated ones included (Glance keeps only
    the last value of each: docs/glance-differences.md#list-links), and ``marker`` replaced
    or dropped."""
    pairs = []
    for key, values in query.lists():
        if key == "marker":
            if marker is not None:
                pairs.append((key, marker))
            continue
        pairs.extend((key, value) for value in values)
    if marker is not None and "marker" not in query:
        pairs.append(("marker", marker))
    return f"/v2/images?{urlencode(pairs)}" if pairs else "/v2/images"


def page_document(query, page: PageRequest, rows: list[dict], ctx=None) -> dict:
    """The list body. ``next`` whenever the page is full, as Glance (so an exact multiple of
    the limit ends with a page that has a ``next`` to an empty page)."""
    document = {
        "images": serialize_rows(rows, ctx),
        "first": _link(query, None),
        "schema": SCHEMA_IMAGES,
    }
    if page.limit and len(rows) == page.limit:
        document["next"] = _link(query, rows[-1]["id"])
    return document
