"""The request context: who is calling, for which project, with which roles.

Built by the API authentication (tokens), the UI (sessions) and management commands alike,
and the only thing policy looks at. Django-free on purpose.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field

# Keystone's default implied roles: admin implies member implies reader.
IMPLIED_ROLES = {"admin": {"member"}, "member": {"reader"}}


def expand_roles(roles) -> frozenset[str]:
    """Role names lower-cased (as Glance does) with implied roles added transitively."""
    result: set[str] = set()
    pending = [r.strip().lower() for r in roles if r and r.strip()]
    while pending:
        role = pending.pop()
        if role not in result:
            result.add(role)
            pending.extend(IMPLIED_ROLES.get(role, ()))
    return frozenset(result)


@dataclass(frozen=True)
class RequestContext:
    user_id: str | None
    project_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    user_name: str = ""
    project_name: str = ""
    request_id: str = ""
    # The caller's own token, for calls made on its behalf to other services (glance-download);
    # empty for browser sessions. Never logged or shown.
    auth_token: str = field(default="", repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        # Glance's context_is_admin is role:admin in the (project-scoped) token: an admin of
        # any project is an admin of the whole catalog.
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        return role in self.roles


# The client address of the HTTP request being served (catalog.http.client_address, set by
# the request-id middleware); empty outside a request (the worker, commands). The audit
# trail reads it, so that no request context has to carry it through every service call.
client_address: ContextVar[str] = ContextVar("client_address", default="")
