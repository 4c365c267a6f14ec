"""Tasks: ``/v2/tasks`` and ``/v2/tasks/{id}`` (admins only, as Glance). An image's own tasks
are an action of the images (``/v2/images/{id}/tasks``), described here too."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema

from catalog import policy
from catalog.api import openapi
from catalog.api.base import CatalogViewSet
from catalog.domain.schemas import task_schema
from catalog.reads import queries
from catalog.reads.representations import serialize_task, task_page_document


def _openapi(schema: dict) -> dict:
    # Glance's JSON Schemas carry "name" and "links", which OpenAPI does not know, and draft-4
    # nullable types, which OpenAPI 3.0 spells differently.
    return {
        "type": "object",
        "properties": {k: openapi.openapi_fragment(v) for k, v in schema["properties"].items()},
    }


TASK_RESPONSE = OpenApiResponse(response=_openapi(task_schema()), description="A task.")
TASKS_RESPONSE = OpenApiResponse(
    response={
        "type": "object",
        "properties": {
            "tasks": {"type": "array", "items": _openapi(task_schema())},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
    },
    description="Tasks.",
)


class TaskViewSet(CatalogViewSet):
    """The import tasks (admins): what ran, for whom, and how it ended."""

    lookup_url_kwarg = "task_id"
    # DELETE is not routed: tasks expire by themselves (Glance answers 405, Allow: GET).
    http_method_names = ["get"]

    @extend_schema(
        operation_id="tasks_list",
        summary="All tasks (admins)",
        responses={200: TASKS_RESPONSE, **openapi.errors(400, 401, 403)},
    )
    def list(self, request):
        policy.enforce(self.ctx, "tasks_api_access")
        page, limit = queries.task_page(request.query_params)
        return JsonResponse(task_page_document(request.query_params, page, limit))

    @extend_schema(
        operation_id="tasks_retrieve",
        summary="One task (admins)",
        responses={200: TASK_RESPONSE, **openapi.errors(401, 403, 404)},
    )
    def retrieve(self, request, task_id):
        policy.enforce(self.ctx, "tasks_api_access")
        return JsonResponse(serialize_task(queries.get_task(task_id)))
