"""Identity operations: issuing and resolving tokens, building request contexts."""

import hashlib
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from catalog import ids
from catalog.context import RequestContext, expand_roles
from catalog.exceptions import BadRequest, Unauthorized
from catalog.identity import external, projects, throttling
from catalog.identity.models import Membership, Project, Token
from catalog.identity.projects import DEFAULT_DOMAIN


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def project_roles(user, project: Project) -> set[str]:
    return set(Membership.objects.filter(user=user, project=project).values_list("role", flat=True))


# Ten years: long-lived service tokens fit, and the expiry date stays a valid datetime.
MAX_TOKEN_TTL = 10 * 366 * 24 * 3600


def issue_token(
    user,
    project: Project,
    ttl: int | None = None,
    description: str = "",
    *,
    methods: tuple[str, ...] = (),
    expires_at=None,
    parent: Token | None = None,
    error=BadRequest,
) -> tuple[str, Token]:
    """Create a token for ``user`` scoped to ``project``; returns the secret (shown once).

    ``expires_at`` caps the lifetime (a rescoped token never outlives the one it came from,
    its ``parent``, and is revoked with it); ``error`` is the exception raised when the user
    may not have such a token.
    """
    if not user.is_active:
        raise error(f"User {user.username} is disabled.")
    if not project.enabled:
        raise error(f"Project {project.name} is disabled.")
    if not project_roles(user, project):
        raise error(f"User {user.username} has no role in project {project.name}.")
    seconds = ttl or settings.CATALOG_TOKEN_TTL
    if not 0 < seconds <= MAX_TOKEN_TTL:
        # A negative lifetime issued an expired token; a huge one crashed (OverflowError).
        raise BadRequest(f"A token lifetime must be 1 to {MAX_TOKEN_TTL} seconds, not {seconds}.")
    raw = secrets.token_urlsafe(32)
    lifetime = timedelta(seconds=seconds)
    expiry = timezone.now() + lifetime
    token = Token.objects.create(
        key_hash=hash_token(raw),
        user=user,
        project=project,
        expires_at=min(expiry, expires_at) if expires_at else expiry,
        description=description,
        methods=",".join(methods),
        parent=parent,
    )
    return raw, token


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


def find_token(raw: str) -> Token | None:
    """The live token behind a secret: None for unknown, expired or orphaned tokens."""
    if not raw or len(raw) > 4096:
        return None
    token = (
        Token.objects.select_related("user", "project")
        .filter(key_hash=hash_token(raw), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active or not token.project.enabled:
        return None
    return token


def token_with_roles(raw: str) -> tuple[Token, set[str]] | None:
    """A live token and its holder's roles in its project (none: the token is orphaned)."""
    token = find_token(raw)
    roles = project_roles(token.user, token.project) if token else set()
    return (token, roles) if roles else None


def context_for_token(raw: str, request_id: str = "") -> RequestContext | None:
    """Resolve an ``X-Auth-Token``: None for unknown, expired or orphaned tokens."""
    token = find_token(raw)
    if token is None:
        return None
    return context_for(token.user, token.project, request_id)


def resolve_token(raw: str, request_id: str = "") -> RequestContext | None:
    """The API's entry point: an external Keystone validates tokens when one is configured,
    else the built-in identity does. None means the token is not valid."""
    if settings.CATALOG_KEYSTONE_URL:
        return external.context_for_token(raw, request_id)
    return context_for_token(raw, request_id)


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


KEYSTONE_SESSION_KEY = "catalog_keystone"


def session_context(request, user) -> RequestContext | None:
    """The context of a logged-in browser session: the project chosen in the session, else
    the user's first project. Superusers without a project act as cloud admins. In external
    Keystone mode a session started by the catalog's login carries its Keystone token's
    project and roles instead (until the token expires)."""
    keystone = request.session.get(KEYSTONE_SESSION_KEY) if hasattr(request, "session") else None
    if keystone is not None:
        if not settings.CATALOG_KEYSTONE_URL or keystone["expires"] <= time.time():
            return None
        return external.context_from_identity(
            keystone["identity"], getattr(request, "request_id", "")
        )
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


# --- Keystone v3 authentication (POST /identity/v3/auth/tokens) ---------------------------


def authenticate(auth: dict, address: str = "") -> tuple[str, Token]:
    """Issue a token for a Keystone v3 ``auth`` object (already checked against the schema).

    Supports the ``password`` method (user by id, or by name and domain) and the ``token``
    method (rescoping: same user, new project, never a longer life). Bad credentials and
    scopes the user may not have are ``Unauthorized``, as in Keystone. Wrong passwords from
    the client ``address`` are counted (``throttling``): past the limits, ``TooManyRequests``.
    """
    identity_ref = auth["identity"]
    methods = tuple(identity_ref["methods"])
    parent = None
    if methods == ("password",):
        user = _password_user(identity_ref["password"]["user"], address)
    elif methods == ("token",):
        parent = find_token(identity_ref["token"]["id"])
        if parent is None:
            raise Unauthorized("The token is invalid or has expired.")
        user = parent.user
    else:
        raise Unauthorized(
            f"Unsupported authentication methods {list(methods)}: use password or token."
        )
    project = _scope_project(auth.get("scope"), user, parent)
    return issue_token(
        user,
        project,
        methods=methods,
        expires_at=parent.expires_at if parent else None,
        parent=parent,
        error=Unauthorized,
    )


def _check_domain(ref: dict | None, what: str) -> None:
    """Only the default domain exists: by id ``default`` or by name ``Default``."""
    if not ref:
        # Keystone: a validation error (400), not a failed authentication.
        raise BadRequest(f"Invalid input: a {what} given by name needs a domain (id or name).")
    if ref.get("id", DEFAULT_DOMAIN["id"]) != DEFAULT_DOMAIN["id"] or (
        ref.get("name", DEFAULT_DOMAIN["name"]).lower() != DEFAULT_DOMAIN["name"].lower()
    ):
        raise Unauthorized(f"Could not find domain {ref.get('id') or ref.get('name')!r}.")


def _password_user(ref: dict, address: str):
    User = get_user_model()
    if "id" in ref:
        user = User.objects.filter(pk=ref["id"]).first() if ids.is_user_id(ref["id"]) else None
    else:
        _check_domain(ref.get("domain"), "user")
        user = User.objects.filter(username=ref["name"]).first()
    # One account, whether named by id or by name; unknown ones count under what was given.
    account = user.get_username() if user else ref.get("name") or f"id:{ref['id']}"
    attempt = throttling.guard(account, address)
    if user is None:
        # Hash anyway, so that timing does not tell unknown users from wrong passwords.
        User().set_password(ref["password"])
    if user is None or not user.check_password(ref["password"]) or not user.is_active:
        attempt.failed()
        raise Unauthorized("Invalid username or password.")
    attempt.succeeded()
    return user


def _scope_project(scope: dict | None, user, parent: Token | None) -> Project:
    if not scope:
        # Keystone falls back to the user's default project; ours is the first one.
        project = parent.project if parent else default_project_for(user)
        if project is None:
            raise Unauthorized(f"User {user.get_username()} has no role in any project.")
        return project
    if "project" not in scope:
        raise Unauthorized("Only project-scoped tokens are supported (scope.project).")
    ref = scope["project"]
    if "id" in ref:
        project = projects.find_project(ref["id"])
    else:
        _check_domain(ref.get("domain"), "project")
        project = Project.objects.filter(name=ref["name"]).first()
    if project is None or project.domain_id != DEFAULT_DOMAIN["id"]:
        raise Unauthorized(f"Could not find project {ref.get('id') or ref.get('name')!r}.")
    return project


# --- Revocation ---------------------------------------------------------------------------
# Revoking deletes the token rows, so checking a token stays one indexed query however many
# were revoked. Keystone revokes a user's tokens when the password changes or the user is
# disabled, a project's when it is disabled, and a user's tokens in a project when a role
# assignment there goes; a re-granted role or a re-enabled account then needs a new token.
# The receivers below catch every writer (services, the admin, management commands); bulk
# QuerySet.update() bypasses model signals, so identity code never disables that way.


def revoke(token: Token) -> None:
    """Revoke ``token`` and every token rescoped from it (the ``parent`` cascade)."""
    token.delete()


def revoke_tokens(**filters) -> int:
    """Revoke the tokens matching ``filters`` (with their rescoped children); how many."""
    deleted, _ = Token.objects.filter(**filters).delete()
    return deleted


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _note_user_credentials_change(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (
        update_fields is not None and not {"password", "is_active"} & set(update_fields)
    ):
        return
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._revoke_tokens = before is not None and (
        before["password"] != instance.password or (before["is_active"] and not instance.is_active)
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_after_credentials_change(sender, instance, **kwargs):
    if getattr(instance, "_revoke_tokens", False):
        instance._revoke_tokens = False
        revoke_tokens(user=instance)


@receiver(pre_save, sender=Project)
def _note_project_disable(sender, instance, **kwargs):
    was_enabled = sender.objects.filter(pk=instance.pk, enabled=True).exists()
    instance._revoke_tokens = was_enabled and not instance.enabled


@receiver(post_save, sender=Project)
def _revoke_after_project_disable(sender, instance, **kwargs):
    if getattr(instance, "_revoke_tokens", False):
        instance._revoke_tokens = False
        revoke_tokens(project=instance)


@receiver(pre_save, sender=Membership)
def _revoke_before_role_change(sender, instance, **kwargs):
    if instance.pk is not None:
        before = sender.objects.filter(pk=instance.pk).values("user_id", "project_id", "role")
        old = before.first()
        if old and (old["user_id"], old["project_id"], old["role"]) != (
            instance.user_id,
            instance.project_id,
            instance.role,
        ):
            revoke_tokens(user_id=old["user_id"], project_id=old["project_id"])


@receiver(post_delete, sender=Membership)
def _revoke_after_role_removal(sender, instance, **kwargs):
    revoke_tokens(user_id=instance.user_id, project_id=instance.project_id)
