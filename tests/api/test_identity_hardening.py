"""Issue 15's findings on the built-in identity: ids checked before any query (2), token
validation without an existence oracle (5), and revocation that sticks (3)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.exceptions import BadRequest
from catalog.identity import services
from catalog.identity.models import Membership, Token
from catalog.identity.projects import ensure_project
from tests.api.test_identity import (
    TOKENS,
    by_name,
    issue,
    keystone_error,
    password_auth,
    project_scope,
    validate,
)
from tests.conftest import ApiClient, assert_status

# --- 2. ids: never a 5xx ------------------------------------------------------------------

# Unicode digits (str.isdigit() accepts them, int() does not), NUL, overlong, numbers beyond
# the primary key, and values that are not strings at all.
STRANGE_IDS = [
    "²",
    "١٢",
    "𝟙",
    "\x00",
    "1\x00",
    "9" * 11,
    "99999999999999999999999",
    "x" * 5000,
    " 1",
    "-1",
    5,
    -1,
    1.5,
    None,
    True,
    [],
    {},
    ["1"],
]


def strange_bodies(project):
    for value in STRANGE_IDS:
        yield password_auth({"id": value, "password": "x"})
        yield password_auth(by_name("alice", "pw-alice"), {"project": {"id": value}})
        yield password_auth(by_name(value, "pw-alice"))
        yield password_auth(
            by_name("alice", "pw-alice"), {"project": {"name": value, "domain": {"id": value}}}
        )
        yield {"auth": {"identity": {"methods": ["token"], "token": {"id": value}}}}
        yield {"auth": {"identity": {"methods": [value], "password": value}}}


def test_unicode_digit_user_id_is_401_not_500(anonymous, alice):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {"id": "²"}}}}}
    body["auth"]["identity"]["password"]["user"]["password"] = "x"
    keystone_error(anonymous.post(TOKENS, body), 401)


def test_every_identity_route_survives_strange_ids(anonymous, admin, alice, project_a):
    """A small fuzzer: every identity route and method, strange ids in the path, the headers
    and the body, as anonymous, a member and an admin. Never a 5xx."""
    answers = []
    for body in strange_bodies(project_a):
        answers.append(anonymous.post(TOKENS, body))
    text_ids = [v for v in STRANGE_IDS if isinstance(v, str) and "\x00" not in v]
    for caller in (anonymous, alice, admin):
        for value in text_ids:
            safe = value.encode("utf-8").hex() if len(value) > 100 else value
            for path in (
                f"/identity/v3/projects/{safe}",
                f"/identity/v3/projects?name={safe}",
                f"/identity/v3/{safe}",
            ):
                for method in ("GET", "HEAD", "POST", "DELETE", "PATCH"):
                    answers.append(caller.request(method, path))
            for method in ("GET", "HEAD", "DELETE"):
                answers.append(
                    caller.request(method, TOKENS, headers={"X-Subject-Token": value[:4096]})
                )
        answers.append(caller.get("/identity/v3/projects/%00"))
        answers.append(caller.get("/identity/v3/projects?name=%00"))
    for method in ("GET", "POST"):
        answers.append(ApiClient("²", None, "x").request(method, "/identity/v3/auth/projects"))
        answers.append(
            ApiClient("x" * 9000, None, "x").request(method, "/identity/v3/auth/catalog")
        )
    assert len(answers) > 500
    failures = [(a.status_code, a.content[:200]) for a in answers if a.status_code >= 500]
    assert failures == []


def test_project_ids_are_checked_on_creation(db):
    with pytest.raises(BadRequest):
        ensure_project("odd", project_id="²")


# --- 5. token validation: 404 for unknown and for others' tokens -------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_others_tokens_look_unknown(alice, bob, method):
    theirs = validate(bob.token, alice.token, method)
    unknown = validate(bob.token, "no-such-token", method)
    assert theirs.status_code == unknown.status_code == 404
    if method != "HEAD":
        assert theirs.json() == unknown.json()
    assert_status(validate(alice.token, alice.token, "GET"), 200)  # not revoked by bob


# --- 3. revocation that sticks ------------------------------------------------------------


def alice_token(anonymous, project_a) -> str:
    raw, _ = issue(anonymous, password_auth(by_name("alice", "pw-alice"), project_scope(project_a)))
    return raw


def works(raw: str, project) -> bool:
    return ApiClient(raw, project, "holder").get("/v2/images").status_code == 200


def test_password_change_revokes_the_users_tokens(anonymous, alice, bob, project_a, project_b):
    raw = alice_token(anonymous, project_a)
    user = get_user_model().objects.get(username="alice")
    user.set_password("a-new-password")
    user.save()
    assert not works(raw, project_a) and not works(alice.token, project_a)
    assert works(bob.token, project_b)
    # Logging in (last_login) or saving without a new password revokes nothing.
    fresh, _ = issue(
        anonymous, password_auth(by_name("alice", "a-new-password"), project_scope(project_a))
    )
    user.refresh_from_db()
    user.first_name = "Alice"
    user.save()
    assert works(fresh, project_a)


def test_disabling_a_user_revokes_for_good(anonymous, alice, project_a):
    raw = alice_token(anonymous, project_a)
    user = get_user_model().objects.get(username="alice")
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    assert not works(raw, project_a)
    assert works(alice_token(anonymous, project_a), project_a)


def test_disabling_a_project_revokes_for_good(anonymous, alice, bob, project_a, project_b):
    raw = alice_token(anonymous, project_a)
    project_a.enabled = False
    project_a.save()
    project_a.enabled = True
    project_a.save()
    assert not works(raw, project_a) and not works(alice.token, project_a)
    assert works(bob.token, project_b)


def test_a_regranted_role_needs_a_new_token(anonymous, alice, carol, project_a):
    raw = alice_token(anonymous, project_a)
    Membership.objects.get(user__username="alice", project=project_a).delete()
    assert not works(raw, project_a)
    services.assign_role(get_user_model().objects.get(username="alice"), project_a, "member")
    assert not works(raw, project_a) and not works(alice.token, project_a)
    assert works(carol.token, project_a)
    assert works(alice_token(anonymous, project_a), project_a)


def test_changing_a_role_revokes_the_tokens_in_that_project(anonymous, alice, project_a):
    raw = alice_token(anonymous, project_a)
    membership = Membership.objects.get(user__username="alice", project=project_a)
    membership.role = "reader"
    membership.save()
    assert not works(raw, project_a)


def rescope(anonymous, raw: str, project) -> str:
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": raw}},
            "scope": {"project": {"id": project.id}},
        }
    }
    child, _ = issue(anonymous, body)
    return child


def test_revoking_a_token_revokes_its_rescoped_children(anonymous, alice, project_a, project_b):
    services.assign_role(get_user_model().objects.get(username="alice"), project_b, "reader")
    parent = alice_token(anonymous, project_a)
    child = rescope(anonymous, parent, project_b)
    grandchild = rescope(anonymous, child, project_a)
    sibling = alice_token(anonymous, project_a)
    assert works(child, project_b) and works(grandchild, project_a)
    assert_status(validate(parent, parent, "DELETE"), 204)
    assert not works(child, project_b) and not works(grandchild, project_a)
    assert works(sibling, project_a)


def test_revocation_is_checked_in_constant_queries(anonymous, alice, project_a):
    """However many tokens were revoked, checking one costs the same queries."""

    def queries_for(raw):
        with CaptureQueriesContext(connection) as captured:
            assert_status(validate(raw, raw), 200)
        return len(captured)

    before = queries_for(alice.token)
    for _ in range(5):
        assert_status(validate(alice_token(anonymous, project_a), alice.token), 200)
    for token in Token.objects.exclude(key_hash=services.hash_token(alice.token)):
        services.revoke(token)
    assert queries_for(alice.token) == before <= 6
