"""``GET /v2/info/usage``: the caller's project quotas and what it uses of them."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogAPIView
from catalog.services import quotas

_LIMIT = {
    "type": "object",
    "properties": {"limit": {"type": "integer"}, "usage": {"type": "integer"}},
}
USAGE_INFO_SCHEMA = {
    "type": "object",
    "properties": {
        "usage": {
            "type": "object",
            "properties": {name: _LIMIT for name in quotas.QUOTA_NAMES},
        }
    },
}


class UsageView(CatalogAPIView):
    """The caller's project quotas and usage (Glance's UsageInfo)."""

    http_method_names = ["get"]

    @extend_schema(
        operation_id="info_usage",
        description=(
            "Limits and usage of the caller's project. image_size_total and "
            "image_stage_total in MiB (rounded down), counts in images; -1 means unlimited."
        ),
        responses={200: OpenApiResponse(response=USAGE_INFO_SCHEMA), **openapi.errors(401)},
    )
    def get(self, request):
        # Glance has no policy on this call: any caller may read its own project's figures.
        return JsonResponse(quotas.usage_info(self.ctx.project_id))
