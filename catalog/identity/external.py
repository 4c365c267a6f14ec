"""External Keystone mode: ``X-Auth-Token``s are validated by the cloud's Keystone.

Vitrine authenticates itself with a service account (``CATALOG_KEYSTONE_*``), then asks
``GET /v3/auth/tokens`` (its own token in ``X-Auth-Token``, the caller's in
``X-Subject-Token``) about every token it has not seen lately. Answers, refusals included,
are cached for ``CATALOG_KEYSTONE_CACHE_TTL`` seconds (never past the token's expiry).
When Keystone cannot be asked, requests fail with 503: never a 500, never anonymous.
"""

import hashlib
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from catalog.context import RequestContext, expand_roles
from catalog.data import sealed
from catalog.exceptions import CatalogError, ServiceUnavailable, Unauthorized
from catalog.identity import projects
from catalog.identity.models import Project

logger = logging.getLogger("catalog.identity")

# Keystone answers with a catalog-less token of a few KiB; anything far larger is not Keystone.
MAX_RESPONSE_BYTES = 1024 * 1024
# Fernet tokens are ~200 characters, JWS ~800; PKI tokens (gone since Ocata) were larger.
MAX_TOKEN_LENGTH = 8192
# Renew the service token this long before it expires.
SERVICE_TOKEN_MARGIN = 60

_service_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_service_lock = threading.Lock()


def _keystone_request(method: str, path: str, headers: dict, body: dict | None = None):
    """One call to Keystone: (status, headers, JSON document or None). Network failures,
    timeouts and non-JSON success answers become ``ServiceUnavailable``."""
    url = settings.CATALOG_KEYSTONE_URL + path
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Accept": "application/json", "Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.CATALOG_KEYSTONE_TIMEOUT) as answer:
            raw = answer.read(MAX_RESPONSE_BYTES + 1)
            if len(raw) > MAX_RESPONSE_BYTES:
                raise ValueError("the answer is too large")
            return answer.status, answer.headers, json.loads(raw)
    except urllib.error.HTTPError as refusal:
        return refusal.code, refusal.headers, None
    except (OSError, ValueError) as failure:  # URLError, timeouts, resets, bad JSON
        reason = getattr(failure, "reason", None) or failure
        logger.warning("Keystone at %s is unreachable: %s", url, reason)
        raise ServiceUnavailable(
            f"The identity service (Keystone at {settings.CATALOG_KEYSTONE_URL}) cannot be "
            f"reached: {reason}. Try again later.",
            headers={"Retry-After": "5"},
        ) from None


def _service_token(renew: bool = False) -> str:
    """Vitrine's own token, obtained with the service account and reused until near expiry."""
    key = (settings.CATALOG_KEYSTONE_URL, settings.CATALOG_KEYSTONE_USERNAME)
    with _service_lock:
        cached = _service_tokens.get(key)
        if cached and not renew and cached[1] - SERVICE_TOKEN_MARGIN > time.time():
            return cached[0]
        status, headers, document = _keystone_request(
            "POST", "/auth/tokens?nocatalog", {}, _service_auth_body()
        )
        raw = headers.get("X-Subject-Token") if status == 201 else None
        expires = _expiry(document)
        if not raw or expires is None:
            raise ServiceUnavailable(
                f"Keystone refused Vitrine's service account "
                f"{settings.CATALOG_KEYSTONE_USERNAME!r} (HTTP {status}): check "
                "CATALOG_KEYSTONE_USERNAME, _PASSWORD, _PROJECT and the domains."
            )
        _service_tokens[key] = (raw, expires)
        return raw


def _service_auth_body() -> dict:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": settings.CATALOG_KEYSTONE_USERNAME,
                        "domain": {"name": settings.CATALOG_KEYSTONE_USER_DOMAIN},
                        "password": settings.CATALOG_KEYSTONE_PASSWORD,
                    }
                },
            },
            "scope": {
                "project": {
                    "name": settings.CATALOG_KEYSTONE_PROJECT,
                    "domain": {"name": settings.CATALOG_KEYSTONE_PROJECT_DOMAIN},
                }
            },
        }
    }


def _expiry(document) -> float | None:
    """The epoch seconds of a token document's ``expires_at``; None if it has none."""
    try:
        stamp = document["token"]["expires_at"].replace("Z", "+00:00")
        return datetime.fromisoformat(stamp).timestamp()
    except (TypeError, KeyError, AttributeError, ValueError):
        return None


def validate_token(raw: str) -> dict | None:
    """Keystone's token document for ``raw``, or None when Keystone says it is not valid."""
    headers = {"X-Subject-Token": raw}
    for renew in (False, True):
        headers["X-Auth-Token"] = _service_token(renew=renew)
        status, _, document = _keystone_request("GET", "/auth/tokens?nocatalog", headers)
        if status == 200 and isinstance(document, dict) and "token" in document:
            return document["token"]
        if status == 404:
            return None  # unknown, expired or revoked
        if status == 401 and not renew:
            continue  # our own token expired or was revoked: renew it once
        break
    reasons = {
        401: ": it refused Vitrine's own token, even a fresh one",
        403: ": Vitrine's service account may not validate tokens (give it the service role)",
    }
    raise ServiceUnavailable(
        f"Keystone answered HTTP {status} when asked to validate a token{reasons.get(status, '')}."
    )


def identity_of(token: dict) -> dict | None:
    """What a request context needs from a Keystone token; None when it is not
    project-scoped (Glance's owner is a project, so a project scope is required)."""
    project = token.get("project")
    user = token.get("user") or {}
    if not isinstance(project, dict) or not project.get("id"):
        return None
    return {
        "user_id": str(user.get("id") or ""),
        "user_name": str(user.get("name") or ""),
        "project_id": str(project["id"]),
        "project_name": str(project.get("name") or ""),
        "domain_id": str((project.get("domain") or {}).get("id") or "default"),
        "roles": [str(r.get("name")) for r in token.get("roles") or [] if r.get("name")],
    }


def record_project(identity: dict) -> None:
    """Keep a Project row for every project seen, so that the admin UI can list them.
    Keystone names are unique per domain only; ours are global, hence the suffix."""
    project_id = identity["project_id"]
    if len(project_id) > 64 or Project.objects.filter(pk=project_id).exists():
        return
    name = identity["project_name"][:50] or project_id
    if Project.objects.filter(name=name).exists():
        name = f"{name} ({project_id[:8]})"
    try:
        with transaction.atomic():
            projects.ensure_project(
                name,
                project_id=project_id,
                domain_id=identity["domain_id"][:64],
                description="Recorded from Keystone when first seen.",
            )
    except (IntegrityError, CatalogError):
        pass  # recorded meanwhile by a concurrent request


def _cache_key(raw: str) -> str:
    source = f"{settings.CATALOG_KEYSTONE_URL}\n{raw}"
    return "keystone-token:" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def context_for_token(raw: str, request_id: str = "") -> RequestContext | None:
    """The request context of a Keystone token; None when Keystone refuses it."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    key = _cache_key(raw)
    identity = cache.get(key)
    if identity is None:
        token = validate_token(raw)
        if token is not None:
            identity = identity_of(token)
            if identity is None:
                raise Unauthorized("Vitrine needs a project-scoped token.")
            record_project(identity)
        identity = identity or {}  # {} caches a refusal
        expires = _expiry({"token": token}) if token else None
        ttl = settings.CATALOG_KEYSTONE_CACHE_TTL
        if expires is not None:
            ttl = min(ttl, int(expires - time.time()))
        if ttl > 0:
            cache.set(key, identity, ttl)
    return context_from_identity(identity, request_id) if identity else None


def context_from_identity(identity: dict, request_id: str = "") -> RequestContext:
    """Role names are lower-cased and implied roles added, whether or not Keystone's token
    already lists them (it does only for the inference rules it knows)."""
    return RequestContext(
        user_id=identity["user_id"],
        user_name=identity["user_name"],
        project_id=identity["project_id"],
        project_name=identity["project_name"],
        roles=expand_roles(identity["roles"]),
        request_id=request_id,
    )


def user_catalog(raw: str) -> list[dict]:
    """The service catalog of a user's token (``GET /v3/auth/catalog``), for calls made on the
    user's behalf to other services (glance-download). Empty when Keystone refuses it."""
    status, _, document = _keystone_request("GET", "/auth/catalog", {"X-Auth-Token": raw})
    if status != 200 or not isinstance(document, dict):
        return []
    catalog = document.get("catalog")
    return catalog if isinstance(catalog, list) else []


# --- Browser logins (the HTML catalog in external mode, as Horizon does) ---------------------


def _issue(body: dict) -> tuple[str, dict] | None:
    status, headers, document = _keystone_request("POST", "/auth/tokens?nocatalog", {}, body)
    if status != 201 or not isinstance(document, dict) or "token" not in document:
        return None
    raw = headers.get("X-Subject-Token") if headers else None
    return (raw, document["token"]) if raw else None


def auth_projects(raw: str) -> list[tuple[str, str]]:
    """(id, name) of the projects a user's token may be scoped to (``GET /auth/projects``)."""
    status, _, document = _keystone_request("GET", "/auth/projects", {"X-Auth-Token": raw})
    if status != 200 or not isinstance(document, dict):
        return []
    return [
        (str(p["id"]), str(p.get("name") or p["id"]))
        for p in document.get("projects") or []
        if isinstance(p, dict) and p.get("id") and p.get("enabled", True)
    ]


def rescope(raw: str, project_id: str) -> tuple[str, dict] | None:
    """A token of the same user scoped to ``project_id`` (Keystone's token method)."""
    return _issue(
        {
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": raw}},
                "scope": {"project": {"id": project_id}},
            }
        }
    )


def password_login(username: str, password: str) -> dict | None:
    """Log a user in at Keystone: a project-scoped token (the default project, else the first
    one the user has) and the projects to switch between. None for bad credentials."""
    user = {
        "name": username,
        "domain": {"name": settings.CATALOG_KEYSTONE_USER_DOMAIN},
        "password": password,
    }
    issued = _issue({"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}})
    if issued is None:
        return None
    raw, token = issued
    projects = auth_projects(raw)
    if identity_of(token) is None:  # unscoped: no default project
        if not projects:
            return None
        issued = rescope(raw, projects[0][0])
        if issued is None:
            return None
        raw, token = issued
    return login_state(raw, token, projects)


def login_state(raw: str, token: dict, projects: list[tuple[str, str]]) -> dict | None:
    """What a browser session keeps of a Keystone login (its token sealed)."""
    identity = identity_of(token)
    if identity is None:
        return None
    record_project(identity)
    return {
        "token": sealed.seal(raw),
        "identity": identity,
        "expires": _expiry({"token": token}) or time.time() + 3600,
        "projects": projects or [(identity["project_id"], identity["project_name"])],
    }
