"""The catalog list page: the API's filter set, sort order and marker pagination, with a
name search on top."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.http import QueryDict

from catalog import policy
from catalog.choices import ContainerFormat, DiskFormat, ImageStatus, Visibility
from catalog.context import RequestContext
from catalog.exceptions import CatalogError
from catalog.models import ImageTag
from catalog.reads.filters import ImageFilterSet
from catalog.reads.pagination import PageRequest, page_rows

SEARCH = "q"
SHOW_HIDDEN = "show_hidden"  # the catalog's toggle: hidden images listed with the others
PAGE_SIZE = "25"
SORTS = [
    ("created_at:desc", "newest first"),
    ("created_at:asc", "oldest first"),
    ("name:asc", "name A-Z"),
    ("name:desc", "name Z-A"),
    ("size:desc", "largest first"),
    ("size:asc", "smallest first"),
    ("updated_at:desc", "recently updated"),
]
CHOICES = {
    "visibility": ["all", *Visibility.values],
    "status": ImageStatus.values,
    "disk_format": DiskFormat.values,
    "container_format": ContainerFormat.values,
    "member_status": ["accepted", "pending", "rejected", "all"],
}


@dataclass
class CatalogPage:
    rows: list[dict] = field(default_factory=list)
    error: str = ""
    next_url: str = ""
    first_url: str = ""


def api_query(query: QueryDict) -> QueryDict:
    """The form's query as the API's: empty fields (an unset select) and the search box
    dropped, a default page size and sort added."""
    result = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [v for v in values if v != ""]
        if key not in (SEARCH, SHOW_HIDDEN) and kept:
            result.setlist(key, kept)
    result.setdefault("limit", PAGE_SIZE)
    result.setdefault("sort", SORTS[0][0])
    return result


def search_condition(text: str) -> Q:
    """Name contains the text, or id, checksum or a tag equals it."""
    text = text.strip()
    tagged = ImageTag.objects.filter(value=text).values("image_id")
    return Q(name__icontains=text) | Q(pk=text) | Q(checksum=text) | Q(pk__in=tagged)


def catalog_page(ctx: RequestContext, query: QueryDict) -> CatalogPage:
    """One page of what ``ctx`` may list, as ``GET /v2/images`` would give it."""
    params = api_query(query)
    page = CatalogPage()
    if "marker" in query:
        first = query.copy()
        del first["marker"]
        page.first_url = "?" + first.urlencode()
    try:
        policy.enforce(ctx, "get_images")
        request = PageRequest.from_query(params)
        candidates = policy.listed_images(
            ctx,
            member_status=request.member_status,
            visibility=request.visibility,
        )
        search = query.get(SEARCH, "").strip()
        if search and "\x00" not in search:
            candidates = candidates.filter(search_condition(search))
        images = ImageFilterSet(params, queryset=candidates).qs
        if query.get(SHOW_HIDDEN) and "os_hidden" not in params:
            # The API lists hidden images only when asked, and then only them (Glance).
            hidden = params.copy()
            hidden["os_hidden"] = "true"
            images = images | ImageFilterSet(hidden, queryset=candidates).qs
        page.rows = page_rows(ctx, images, request)
    except CatalogError as exc:
        page.error = exc.message
        return page
    if page.rows and len(page.rows) == request.limit:
        following = query.copy()
        following["marker"] = page.rows[-1]["id"]
        page.next_url = "?" + following.urlencode()
    return page


@dataclass(frozen=True)
class Select:
    """One select of the filter form: its options as (value, label, selected)."""

    name: str
    label: str
    options: list[tuple[str, str, bool]]
    blank: str = "any"


def filter_selects(query: QueryDict, projects) -> list[Select]:
    def options(name, pairs):
        chosen = query.getlist(name)
        return [(value, label, value in chosen) for value, label in pairs]

    selects = [
        Select(name, name.replace("_", " ").capitalize(), options(name, [(v, v) for v in values]))
        for name, values in CHOICES.items()
    ]
    selects.append(Select("owner", "Owner", options("owner", [(p.id, p.name) for p in projects])))
    selects.append(Select("sort", "Sort", options("sort", SORTS), blank=""))
    return selects
