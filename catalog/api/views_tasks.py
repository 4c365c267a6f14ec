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
from catalog.reads.representations import isotime

STUB_KEYS = (
    "id",
    "type",
    "status",
    "owner",
    "expires_at",
    "created_at",
    "updated_at",
    "self",
    "schema",
)


def serialize_task(task: Task) -> dict:
    """Glance's task view, for both task routes (docs/glance-differences.md#image-tasks-view)."""
    return {
        "id": task.id,
        "type": task.type,
        "status": task.status,
        "owner": task.owner,
        "image_id": task.image_id,
        "request_id": task.request_id,
        "user_id": task.user_id,
        "input": task.input,
        "result": task.result,
        "message": task.message,
        "expires_at": isotime(task.expires_at),
        "created_at": isotime(task.created_at),
        "updated_at": isotime(task.updated_at),
        "self": f"/v2/tasks/{task.id}",
        "schema": "/v2/schemas/task",
    }


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
        return JsonResponse({"tasks": [serialize_task(t) for t in tasks]})


class TaskListView(CatalogAPIView):
    http_method_names = ["get"]

    @extend_schema(
        operation_id="tasks_list",
        summary="All tasks (admins)",
        responses={200: _TASKS, **openapi.errors(400, 401, 403)},
    )
    def get(self, request):
        policy.enforce(self.ctx, "tasks_api_access")
        params = request.query_params
        page, limit = queries.task_page(params)
        body = {"tasks": [{k: serialize_task(t)[k] for k in STUB_KEYS} for t in page]}
        body["first"] = "/v2/tasks"
        body["schema"] = "/v2/schemas/tasks"
        if page and len(page) == limit:
            query = params.copy()
            query["marker"] = page[-1].id
            body["next"] = f"/v2/tasks?{query.urlencode()}"
        return JsonResponse(body)


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
