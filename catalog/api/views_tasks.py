"""Task routes: ``/v2/tasks`` (admin-only, as Glance) and ``/v2/images/{id}/tasks``."""

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema

from catalog import policy
from catalog.api import openapi
from catalog.api.base import CatalogAPIView
from catalog.domain.schemas import task_schema
from catalog.exceptions import NotFound
from catalog.models import Task
from catalog.reads import queries
from catalog.reads.representations import image_task_list, serialize_task, task_page_document


def _openapi(schema: dict) -> dict:
    # Glance's JSON Schemas carry "name" and "links", which OpenAPI does not know, and draft-4
    # nullable types, which OpenAPI 3.0 spells differently.
    return {
        "type": "object",
        "properties": {k: openapi.openapi_fragment(v) for k, v in schema["properties"].items()},
    }


_TASK = OpenApiResponse(response=_openapi(task_schema()), description="A task.")
_TASKS = OpenApiResponse(
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


class ImageTasksView(CatalogAPIView):
    http_method_names = ["get"]

    @extend_schema(
        operation_id="images_tasks",
        summary="The import tasks of an image (API 2.12)",
        responses={200: _TASKS, **openapi.errors(401, 404)},
    )
    def get(self, request, image_id):
        queries.get_visible_image(self.ctx, image_id)
        tasks = queries.tasks_of_image(self.ctx, image_id)
        return JsonResponse(image_task_list(tasks))


class TaskListView(CatalogAPIView):
    http_method_names = ["get"]

    @extend_schema(
        operation_id="tasks_list",
        summary="All tasks (admins)",
        responses={200: _TASKS, **openapi.errors(400, 401, 403)},
    )
    def get(self, request):
        policy.enforce(self.ctx, "tasks_api_access")
        page, limit = queries.task_page(request.query_params)
        return JsonResponse(task_page_document(request.query_params, page, limit))


class TaskDetailView(CatalogAPIView):
    # DELETE is not routed: tasks expire by themselves (Glance answers 405, Allow: GET).
    http_method_names = ["get"]

    @extend_schema(
        operation_id="tasks_retrieve",
        summary="One task (admins)",
        responses={200: _TASK, **openapi.errors(401, 403, 404)},
    )
    def get(self, request, task_id):
        policy.enforce(self.ctx, "tasks_api_access")
        task = Task.objects.filter(pk=task_id).first() if queries.is_lookup_id(task_id) else None
        if task is None:
            raise NotFound(f"Task with the given id {task_id} not found")
        return JsonResponse(serialize_task(task))
