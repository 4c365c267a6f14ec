"""``GET /v2/schemas/{image,images,member,members,task,tasks}`` and
``/v2/schemas/metadefs/*``: JSON Schema documents."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.domain import metadefs, schemas


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


def metadef_schema_action(name: str):
    """``/v2/schemas/metadefs/{name}``: the published document, byte for byte."""

    def document(self, request):
        return HttpResponse(metadefs.schema_bytes(name), content_type="application/json")

    document.__name__ = f"metadefs_{name}"
    routed = action(detail=False, methods=["get"], url_path=f"metadefs/{name}")(document)
    return extend_schema(
        operation_id=f"v2_schemas_metadefs_{name}_retrieve",
        responses={
            200: {"type": "object", "description": "A JSON Schema document"},
            **openapi.errors(401),
        },
    )(routed)


for _name in metadefs.DOCUMENTS:
    setattr(SchemaViewSet, f"metadefs_{_name}", metadef_schema_action(_name))
