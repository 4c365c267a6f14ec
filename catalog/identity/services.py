"""Identity operations: issuing and resolving tokens, building request contexts."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.context import RequestContext, expand_roles
from catalog.exceptions import BadRequest

from .models import Membership, Project, Token


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def project_roles(user, project: Project) -> set[str]:
    return set(Membership.objects.filter(user=user, project=project).values_list("role", flat=True))


def issue_token(
    user, project: Project, ttl: int | None = None, description: str = ""
) -> tuple[str, Token]:
    """Create a token for ``user`` scoped to ``project``; returns the secret (shown once)."""
    if not user.is_active:
        raise BadRequest(f"User {user.username} is disabled.")
    if not project_roles(user, project):
        raise BadRequest(f"User {user.username} has no role in project {project.name}.")
    raw = secrets.token_urlsafe(32)
    lifetime = timedelta(seconds=ttl or settings.CATALOG_TOKEN_TTL)
    token = Token.objects.create(
        key_hash=hash_token(raw),
        user=user,
        project=project,
        expires_at=timezone.now() + lifetime,
        description=description,
    )
    return raw, token


def revoke_token(raw: str) -> bool:
    deleted, _ = Token.objects.filter(key_hash=hash_token(raw)).delete()
    return bool(deleted)


def context_for(user, project: Project | None, request_id: str = "") -> RequestContext | None:
    """The context of ``user`` acting in ``project``; None when the user has no role there."""
    roles = project_roles(user, project) if project is not None else set()
    if not roles:
        return None
    return RequestContext(
        user_id=str(user.pk),
        user_name=user.get_username(),
        project_id=project.id,
        project_name=project.name,
        roles=expand_roles(roles),
        request_id=request_id,
    )


def context_for_token(raw: str, request_id: str = "") -> RequestContext | None:
    """Resolve an ``X-Auth-Token``: None for unknown, expired or orphaned tokens."""
    if not raw or len(raw) > 4096:
        return None
    token = (
        Token.objects.select_related("user", "project")
        .filter(key_hash=hash_token(raw), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active or not token.project.enabled:
        return None
    return context_for(token.user, token.project, request_id)


def default_project_for(user) -> Project | None:
    membership = Membership.objects.filter(user=user).select_related("project").first()
    return membership.project if membership else None


@transaction.atomic
def ensure_user(username: str, password: str | None = None, **extra):
    """Create the user if missing (password set only on creation); returns (user, created)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults=extra)
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user, created


@transaction.atomic
def assign_role(user, project: Project, role: str) -> None:
    Membership.objects.get_or_create(user=user, project=project, role=role)


SESSION_PROJECT_KEY = "catalog_project_id"


def session_context(request, user) -> RequestContext | None:
    """The context of a logged-in browser session: the project chosen in the session, else
    the user's first project. Superusers without a project act as cloud admins."""
    project_id = request.session.get(SESSION_PROJECT_KEY) if hasattr(request, "session") else None
    project = Project.objects.filter(pk=project_id, enabled=True).first() if project_id else None
    project = project or default_project_for(user)
    request_id = getattr(request, "request_id", "")
    ctx = context_for(user, project, request_id) if project is not None else None
    if ctx is None and user.is_superuser:
        return RequestContext(
            user_id=str(user.pk),
            user_name=user.get_username(),
            project_id=None,
            roles=expand_roles({"admin"}),
            request_id=request_id,
        )
    return ctx
