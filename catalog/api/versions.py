"""Version discovery: ``GET /`` (300) and ``GET /versions`` (200)."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from catalog.http import public_base_url

CURRENT = "2.17"
# Newest first (docs/glance-differences.md#version-list). 2.14, 2.16 and 2.18 are the
# image-cache versions, which Vitrine does not serve.
SUPPORTED = (
    "2.15",
    "2.13",
    "2.12",
    "2.11",
    "2.10",
    "2.9",
    "2.8",
    "2.7",
    "2.6",
    "2.5",
    "2.4",
    "2.3",
    "2.2",
    "2.1",
    "2.0",
)
ACCEPTED_PREFIXES = frozenset({"v2", *(f"v{v}" for v in (CURRENT, *SUPPORTED))})


def versions_document(request) -> dict:
    href = f"{public_base_url(request)}/v2/"
    versions = [{"id": f"v{CURRENT}", "status": "CURRENT"}]
    versions += [{"id": f"v{v}", "status": "SUPPORTED"} for v in SUPPORTED]
    for version in versions:
        version["links"] = [{"rel": "self", "href": href}]
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
