"""``GET /v2/schemas/{image,images,member,members,task,tasks}``: JSON Schema documents."""

from django.http import JsonResponse
from drf_spectacular.utils import extend_schema

from catalog.api import openapi
from catalog.api.base import CatalogAPIView
from catalog.domain import schemas


class SchemaView(CatalogAPIView):
    """One JSON Schema document; ``schema_name`` is set per route."""

    http_method_names = ["get"]
    schema_name = ""

    @extend_schema(
        responses={
            200: {"type": "object", "description": "A JSON Schema document"},
            **openapi.errors(401),
        },
    )
    def get(self, request):
        return JsonResponse(schemas.SCHEMAS[self.schema_name]())
