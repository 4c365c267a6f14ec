"""Mapping a Keystone token document to a request context (no database, no network)."""

from catalog.identity.external import context_from_identity, identity_of

KEYSTONE_TOKEN = {
    "methods": ["password"],
    "user": {"id": "u" * 32, "name": "Alice", "domain": {"id": "default", "name": "Default"}},
    "project": {"id": "p" * 32, "name": "cloud-a", "domain": {"id": "d" * 32, "name": "Cloud"}},
    "roles": [{"id": "r1", "name": "Admin"}],
    "expires_at": "2030-01-01T00:00:00.000000Z",
}


def test_project_becomes_the_owner_and_roles_are_expanded():
    identity = identity_of(KEYSTONE_TOKEN)
    ctx = context_from_identity(identity, "req-1")
    assert ctx.project_id == "p" * 32 and ctx.project_name == "cloud-a"
    assert ctx.user_id == "u" * 32 and ctx.user_name == "Alice"
    # Keystone sent only "Admin": lower-cased, with member and reader implied
    assert ctx.roles == {"admin", "member", "reader"} and ctx.is_admin
    assert identity["domain_id"] == "d" * 32 and ctx.request_id == "req-1"


def test_tokens_without_a_project_scope_have_no_identity():
    unscoped = {k: v for k, v in KEYSTONE_TOKEN.items() if k != "project"}
    assert identity_of(unscoped) is None
    assert identity_of({**KEYSTONE_TOKEN, "project": None}) is None
    assert identity_of({**KEYSTONE_TOKEN, "project": {"name": "no-id"}}) is None


def test_roles_without_names_are_ignored():
    token = {**KEYSTONE_TOKEN, "roles": [{"id": "x"}, {"name": "reader"}]}
    assert context_from_identity(identity_of(token)).roles == {"reader"}
