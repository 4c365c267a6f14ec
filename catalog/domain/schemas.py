"""The JSON Schema documents of ``/v2/schemas/*``, with Glance's structure.

The image schema comes from the property table (``properties.image_schema``), which create
and PATCH validation also use, so what we publish is what we enforce.
"""

from catalog.domain.sharing import member_schema, members_schema
from catalog.properties import UUID_PATTERN, image_schema

TASK_TYPES = ("import", "api_image_import", "location_import")
TASK_STATUSES = ("pending", "processing", "success", "failure")


def _collection(name: str, item: dict) -> dict:
    """Glance's CollectionSchema: the items plus first/next/schema links."""
    return {
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


def images_schema() -> dict:
    return _collection("images", image_schema())


def task_schema() -> dict:
    def described(kind, text, **extra):
        return {"description": text, "type": kind, **extra}

    return {
        "name": "task",
        "properties": {
            "id": described("string", "An identifier for the task", pattern=UUID_PATTERN),
            "type": described(
                "string", "The type of task represented by this content", enum=list(TASK_TYPES)
            ),
            "status": described(
                "string", "The current status of this task", enum=list(TASK_STATUSES)
            ),
            "input": described(["null", "object"], "The parameters required by task, JSON blob"),
            "result": described(["null", "object"], "The result of current task, JSON blob"),
            "owner": described("string", "An identifier for the owner of this task"),
            "message": described(
                "string",
                "Human-readable informative message only included when appropriate (usually "
                "on failure)",
            ),
            "image_id": described("string", "Image associated with the task"),
            "request_id": described("string", "Human-readable informative request-id"),
            "user_id": described("string", "User associated with the task"),
            "expires_at": described(
                ["null", "string"], "Datetime when this resource would be subject to removal"
            ),
            "created_at": described("string", "Datetime when this resource was created"),
            "updated_at": described("string", "Datetime when this resource was updated"),
            "self": {"readOnly": True, "type": "string"},
            "schema": {"readOnly": True, "type": "string"},
        },
        "additionalProperties": {"type": "string"},
    }


def tasks_schema() -> dict:
    return _collection("tasks", task_schema())


SCHEMAS = {
    "image": image_schema,
    "images": images_schema,
    "member": member_schema,
    "members": members_schema,
    "task": task_schema,
    "tasks": tasks_schema,
}
