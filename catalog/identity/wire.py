"""Keystone v3 on the wire: the auth request schema, token bodies, the service catalog,
version documents and Keystone's error body. No database access here."""

import base64
import hashlib
import uuid
from datetime import UTC, datetime

import jsonschema

from catalog.context import expand_roles
from catalog.identity.projects import DEFAULT_DOMAIN

API_VERSION = "v3.14"
# Stable ids for things Vitrine does not store (roles, services, endpoints): derived from
# their names, so that every token shows the same ids.
_ID_NAMESPACE = uuid.UUID("5d0b3c1e-4a8f-4a55-9b0e-6c6f1c3e7a10")

_DOMAIN_REF = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
    "anyOf": [{"required": ["id"]}, {"required": ["name"]}],
}
# No user or project name or id holds NUL, and PostgreSQL refuses it in a query (a 500).
_NO_NUL = "^[^\x00]*$"
_NAMED_REF = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": _NO_NUL},
        "name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": _NO_NUL},
        "domain": _DOMAIN_REF,
    },
    "anyOf": [{"required": ["id"]}, {"required": ["name"]}],
}
AUTH_SCHEMA = {
    "type": "object",
    "required": ["auth"],
    "properties": {
        "auth": {
            "type": "object",
            "required": ["identity"],
            "properties": {
                "identity": {
                    "type": "object",
                    "required": ["methods"],
                    "properties": {
                        "methods": {
                            "type": "array",
                            "items": {"type": "string"},
                            "minItems": 1,
                        },
                        "password": {
                            "type": "object",
                            "required": ["user"],
                            "properties": {
                                "user": {
                                    **_NAMED_REF,
                                    "required": ["password"],
                                    "properties": {
                                        **_NAMED_REF["properties"],
                                        "password": {"type": "string", "maxLength": 4096},
                                    },
                                }
                            },
                        },
                        "token": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "string", "maxLength": 4096}},
                        },
                    },
                },
                "scope": {
                    "oneOf": [
                        {"type": "string", "enum": ["unscoped"]},
                        {"type": "object", "properties": {"project": _NAMED_REF}},
                    ]
                },
            },
        }
    },
}


def auth_request_problem(body) -> str | None:
    """What is wrong with a POST /auth/tokens body, in words; None when it is well-formed."""
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft7Validator(AUTH_SCHEMA).iter_errors(body)
    )
    if error is None:
        identity = body["auth"]["identity"]
        missing = [
            m for m in identity["methods"] if m in ("password", "token") and m not in identity
        ]
        if missing:
            return f"Invalid input for field 'identity': {missing[0]!r} is a required property"
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "body"
    return f"Invalid input for field '{where}': {error.message}"


def stable_id(kind: str, name: str) -> str:
    return uuid.uuid5(_ID_NAMESPACE, f"{kind}:{name}").hex


def iso_z(moment: datetime) -> str:
    """Keystone's timestamp form: UTC, microseconds, a literal ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_id(key_hash: str) -> str:
    """A short id that names the token in logs without revealing it (hash of its hash)."""
    digest = hashlib.sha256(key_hash.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def service_catalog(image_url: str, identity_url: str, region: str) -> list[dict]:
    """The ``catalog`` of a token: the image service and this identity service, each with
    public, internal and admin endpoints (the same URL: one server answers all three)."""
    entries = []
    for service_type, name, url in (
        ("image", "glance", image_url),
        ("identity", "keystone", identity_url),
    ):
        endpoints = [
            {
                "id": stable_id("endpoint", f"{service_type}:{interface}"),
                "interface": interface,
                "region": region,
                "region_id": region,
                "url": url,
            }
            for interface in ("public", "internal", "admin")
        ]
        entries.append(
            {
                "id": stable_id("service", service_type),
                "type": service_type,
                "name": name,
                "endpoints": endpoints,
            }
        )
    return entries


def token_body(token, role_names, catalog: list[dict] | None) -> dict:
    """The ``{"token": ...}`` document Keystone answers on issue and validation."""
    domain = dict(DEFAULT_DOMAIN)
    body = {
        "methods": [m for m in token.methods.split(",") if m],
        "user": {
            "id": str(token.user.pk),
            "name": token.user.get_username(),
            "domain": domain,
            "password_expires_at": None,
        },
        "audit_ids": [audit_id(token.key_hash)],
        "issued_at": iso_z(token.created_at),
        "expires_at": iso_z(token.expires_at),
        "project": {
            "id": token.project.id,
            "name": token.project.name,
            "domain": domain,
        },
        "is_domain": False,
        "roles": [
            {"id": stable_id("role", name), "name": name}
            for name in sorted(expand_roles(role_names))
        ],
    }
    if catalog is not None:
        body["catalog"] = catalog
    return {"token": body}


def project_body(project, identity_url: str) -> dict:
    """A project as Keystone's ``GET /v3/projects/{id}`` shows it."""
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "domain_id": project.domain_id,
        "enabled": project.enabled,
        "is_domain": False,
        "parent_id": project.domain_id,
        "tags": [],
        "links": {"self": f"{identity_url}/v3/projects/{project.id}"},
    }


def version_document(identity_url: str) -> dict:
    """One entry of Keystone's version discovery (``GET /identity/v3``)."""
    return {
        "id": API_VERSION,
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{identity_url}/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


def error_body(status: int, message: str) -> dict:
    """Keystone's error body: ``{"error": {"code", "title", "message"}}``."""
    return {"error": {"code": status, "title": _TITLES.get(status, "Error"), "message": message}}
