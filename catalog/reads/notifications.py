"""The wire bodies of events: Glance's notification payloads and envelope (exchange
``glance``, topic ``notifications.<priority>``), and the audit record as
``/v2/x-vitrine/events`` and webhooks show it.

Payload keys follow what Glance 33 sends (docs/glance-differences.md#notifications lists
where we differ on purpose). Built when the event happens, so a notification published
later still describes the object as it was then.
"""

import json
import uuid
from datetime import UTC

from django.conf import settings

from catalog.choices import Visibility
from catalog.models import AuditRecord, Image, ImageMember, Task
from catalog.reads.representations import isotime

# Glance's reserved properties that are comma-separated lists: image.prepare and
# image.upload report them as lists.
_LIST_PROPERTIES = ("os_glance_importing_to_stores", "os_glance_failed_import")


def image_payload(image: Image, *, with_import_lists: bool = False) -> dict:
    """Glance's image payload: the image's fields, every extra property (os_glance_* ones
    too), its tags, and ``deleted``/``deleted_at``; no hashes, os_hidden or locations."""
    properties = dict(image.properties.values_list("name", "value"))
    payload = {
        "id": image.pk,
        "name": image.name,
        "status": image.status,
        "created_at": isotime(image.created_at),
        "updated_at": isotime(image.updated_at),
        "min_disk": image.min_disk,
        "min_ram": image.min_ram,
        "protected": image.protected,
        "checksum": image.checksum,
        "owner": image.owner,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "size": image.size,
        "virtual_size": image.virtual_size,
        "is_public": image.visibility == Visibility.PUBLIC,
        "visibility": image.visibility,
        "properties": properties,
        "tags": list(image.tags.order_by("value").values_list("value", flat=True)),
        "deleted": bool(image.deleted),
        "deleted_at": isotime(image.deleted_at),
    }
    if with_import_lists:
        for name in _LIST_PROPERTIES:
            payload[name] = [v for v in (properties.get(name) or "").split(",") if v]
    return payload


def member_payload(member: ImageMember) -> dict:
    return {
        "image_id": member.image_id,
        "member_id": member.member,
        "status": member.status,
        "created_at": isotime(member.created_at),
        "updated_at": isotime(member.updated_at),
        "deleted": bool(member.deleted),
        "deleted_at": isotime(member.updated_at) if member.deleted else None,
    }


def task_payload(task: Task) -> dict:
    """Glance's task payload (``input`` never included; ``result`` and ``message`` as
    stored, where Glance always sends null: docs/glance-differences.md#notifications)."""
    return {
        "id": task.pk,
        "type": task.type,
        "status": task.status,
        "result": task.result,
        "owner": task.owner,
        "message": task.message or None,
        "expires_at": isotime(task.expires_at),
        "created_at": isotime(task.created_at),
        "updated_at": isotime(task.updated_at),
        "deleted": False,
        "deleted_at": None,
    }


def send_payload(image: Image, ctx_user: str | None, ctx_project: str | None, sent: int) -> dict:
    return {
        "bytes_sent": sent,
        "image_id": image.pk,
        "owner_id": image.owner,
        "receiver_tenant_id": ctx_project,
        "receiver_user_id": ctx_user,
    }


def oslo_timestamp(when) -> str:
    """The envelope's timestamp: UTC, a space separator, microseconds, no zone."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def envelope(message_id: str, event_type: str, priority: str, payload, when) -> str:
    """The AMQP body as oslo.messaging's messagingv2 driver sends it: a JSON object whose
    ``oslo.message`` is itself a JSON-encoded string."""
    message = {
        "message_id": message_id,
        "publisher_id": settings.CATALOG_NOTIFICATIONS_PUBLISHER_ID,
        "event_type": event_type,
        "priority": priority,
        "payload": payload,
        "timestamp": oslo_timestamp(when),
        "_unique_id": uuid.uuid4().hex,
    }
    return json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(message)})


def routing_key(priority: str) -> str:
    return f"{settings.CATALOG_NOTIFICATIONS_TOPIC}.{priority.lower()}"


def serialize_record(record: AuditRecord) -> dict:
    """An audit record as /v2/x-vitrine/events, the exports and webhooks show it."""
    return {
        "id": record.event_id,
        "seq": record.pk,
        "event_type": record.event_type,
        "priority": record.priority,
        "occurred_at": record.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "user_id": record.user_id,
        "user_name": record.user_name,
        "project_id": record.project_id,
        "target_type": record.target_type,
        "target_id": record.target_id,
        "owner": record.owner,
        "request_id": record.request_id,
        "client_address": record.client_address,
        "changes": record.changes,
        "detail": record.detail,
    }


# --- Metadefs (Glance's metadef_* notifications) ----------------------------------------------

PROPERTY_FIELDS = (
    "type", "title", "description", "default", "minimum", "maximum", "enum", "pattern",
    "minLength", "maxLength", "confidential", "items", "uniqueItems", "minItems", "maxItems",
    "additionalItems",
)  # fmt: skip


def _gone(deleted: bool, when) -> dict:
    return {"deleted": deleted, "deleted_at": isotime(when) if deleted else None}


def namespace_payload(ns, *, old_name=None, deleted=False, when=None) -> dict:
    return {
        "namespace": ns.namespace,
        "namespace_old": old_name or ns.namespace,
        "display_name": ns.display_name,
        "protected": ns.protected,
        "visibility": ns.visibility,
        "owner": ns.owner,
        "description": ns.description,
        "created_at": isotime(ns.created_at),
        "updated_at": isotime(ns.updated_at),
        **_gone(deleted, when),
    }


def _fields(definition: dict) -> dict:
    # Values as stored: Glance nulls falsy ones (minimum 0): docs/glance-differences.md#notifications
    return {key: definition.get(key) for key in PROPERTY_FIELDS}


def property_payload(ns_name: str, row, *, old_name=None, deleted=False, when=None) -> dict:
    return {
        "namespace": ns_name,
        "name": row.name,
        "name_old": old_name or row.name,
        **_fields(row.definition or {}),
        **_gone(deleted, when),
    }


def object_payload(ns_name: str, row, *, old_name=None, deleted=False, when=None) -> dict:
    properties = [{"name": n, **_fields(d or {})} for n, d in (row.properties or {}).items()]
    return {
        "namespace": ns_name,
        "name": row.name,
        "name_old": old_name or row.name,
        "properties": properties,
        "required": row.required or None,
        "description": row.description,
        "created_at": isotime(row.created_at),
        "updated_at": isotime(row.updated_at),
        **_gone(deleted, when),
    }


def tag_payload(ns_name: str, row, *, old_name=None, deleted=False, when=None) -> dict:
    return {
        "namespace": ns_name,
        "name": row.name,
        "name_old": old_name or row.name,
        "created_at": isotime(row.created_at),
        "updated_at": isotime(row.updated_at),
        **_gone(deleted, when),
    }


def association_payload(ns_name: str, row, *, deleted=False, when=None) -> dict:
    name = row.resource_type.name
    return {
        "namespace": ns_name,
        "name": name,
        "name_old": name,
        "prefix": row.prefix,
        "properties_target": row.properties_target,
        "created_at": isotime(row.created_at),
        "updated_at": isotime(row.updated_at),
        **_gone(deleted, when),
    }
