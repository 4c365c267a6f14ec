"""``GET /v2/schemas/{image,images,member,members,task,tasks}``: JSON Schema documents."""

from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.domain import schemas


class SchemaViewSet(CatalogViewSet):
    """The JSON Schema documents of Glance's resources, one route each."""

    http_method_names = ["get"]


def schema_action(name: str):
    """The action answering ``/v2/schemas/{name}``, named after its document (the router
    names its route ``schema-{name}``)."""

    def document(self, request):
        return JsonResponse(schemas.SCHEMAS[name]())

    document.__name__ = name
    routed = action(detail=False, methods=["get"], url_path=name)(document)
    return extend_schema(
        operation_id=f"v2_schemas_{name}_retrieve",
        responses={
            200: {"type": "object", "description": "A JSON Schema document"},
            **openapi.errors(401),
        },
    )(routed)


# One action per document of the table, so that each is its own route in the API description.
for _name in schemas.SCHEMAS:
    setattr(SchemaViewSet, _name, schema_action(_name))
