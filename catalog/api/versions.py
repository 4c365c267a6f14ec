"""Version discovery: ``GET /`` (300) and ``GET /versions`` (200).

One table, ``VERSIONS``, says for each API version the routes it introduced and when it is
served; the document, the accepted ``/v2.N`` prefixes and the CURRENT version all derive
from it, so the versions announced cannot drift from the routes served again (Glance
announced 2.17 while a clone had none of its routes). ``tests/api/test_versions.py`` checks
that every route named here is in the URL table (docs/glance-differences.md#version-list).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from catalog.http import public_base_url


def _always() -> bool:
    return True


def cache_enabled() -> bool:
    """Glance's ``image_cache_dir``: the cache API and its versions exist only with it."""
    return bool(settings.CATALOG_IMAGE_CACHE_DIR)


@dataclass(frozen=True)
class ApiVersion:
    number: str
    # Route names (see api/urls.py) that this version introduced; empty: none of its own.
    routes: tuple[str, ...] = ()
    served: Callable[[], bool] = _always

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.number.split("."))


_CACHE_ROUTES = ("cache-list", "cache-detail")
VERSIONS = (
    ApiVersion("2.18", ("cache-nodes", "cache-clean", "cache-prune"), cache_enabled),
    ApiVersion("2.17", ("image-locations",)),
    ApiVersion("2.16", _CACHE_ROUTES, cache_enabled),
    ApiVersion("2.15", ("info-stores-detail",)),
    ApiVersion("2.14", _CACHE_ROUTES, cache_enabled),
    ApiVersion("2.13", ("store-image",)),
    ApiVersion("2.12", ("image-tasks",)),
    ApiVersion("2.11"),
    ApiVersion("2.10", ("info-usage",)),
    ApiVersion("2.9"),
    ApiVersion("2.8", ("info-stores",)),
    *(ApiVersion(f"2.{minor}") for minor in range(7, -1, -1)),
)
# Every prefix any configuration may accept: the middleware checks the served ones per request.
ALL_PREFIXES = frozenset({"v2", *(f"v{v.number}" for v in VERSIONS)})


def served_versions() -> list[ApiVersion]:
    """The versions served now, newest first (Glance's order is not: see the entry)."""
    return sorted((v for v in VERSIONS if v.served()), key=lambda v: v.key, reverse=True)


def accepted_prefix(prefix: str) -> bool:
    return prefix == "v2" or prefix in {f"v{v.number}" for v in served_versions()}


def versions_document(request) -> dict:
    href = f"{public_base_url(request)}/v2/"
    versions = []
    for index, version in enumerate(served_versions()):
        versions.append(
            {
                "id": f"v{version.number}",
                "status": "CURRENT" if index == 0 else "SUPPORTED",
                "links": [{"rel": "self", "href": href}],
            }
        )
    return {"versions": versions}


def versions_response(request, status: int) -> JsonResponse:
    return JsonResponse(versions_document(request), status=status)


VERSIONS_RESPONSE = OpenApiResponse(
    {"type": "object", "properties": {"versions": {"type": "array", "items": {"type": "object"}}}},
    description="The API versions served",
)


class VersionsRootView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    http_method_names = ["get"]

    @extend_schema(operation_id="versions_root", auth=[], responses={300: VERSIONS_RESPONSE})
    def get(self, request):
        return versions_response(request, 300)


class VersionsView(VersionsRootView):
    @extend_schema(operation_id="versions", auth=[], responses={200: VERSIONS_RESPONSE})
    def get(self, request):
        return versions_response(request, 200)
