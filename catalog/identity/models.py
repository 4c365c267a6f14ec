"""Built-in identity: projects, role assignments and API tokens (a Keystone-like subset)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.choices import Role


def new_project_id() -> str:
    # Keystone-style ids: 32 lowercase hex digits.
    return uuid.uuid4().hex


class Project(models.Model):
    """A tenant. Images are owned by a project id (``Image.owner``)."""

    id = models.CharField(primary_key=True, max_length=64, default=new_project_id)
    name = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True, default="")
    domain_id = models.CharField(max_length=64, default="default")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One role of one user in one project (a Keystone role assignment)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["project__name", "user__username", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "project", "role"], name="unique_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.project}"


class Token(models.Model):
    """A project-scoped API token. Only a hash of the secret is stored.

    The roles are not copied into the token: they are read from the memberships at each
    request. Revocation deletes the row (``identity/services.py``): a password change, a user
    or project disable and a role removal revoke the tokens they concern for good, and a
    token rescoped from another (``parent``) goes with it.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tokens")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    description = models.CharField(max_length=255, blank=True, default="")
    # Keystone's "methods" of the token body: how the holder proved who they are
    # ("password", "token"), comma-separated; empty for tokens issued by an administrator.
    methods = models.CharField(max_length=64, blank=True, default="")
    # The token this one was rescoped from (Keystone's "token" method): revoked with it.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token of {self.user} for {self.project} (expires {self.expires_at:%Y-%m-%d %H:%M})"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()
