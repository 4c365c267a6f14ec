"""The built-in Keystone v3 subset: discovery and /identity/v3/auth/tokens."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.identity.models import Membership, Token
from tests.conftest import ApiClient, assert_status

TOKENS = "/identity/v3/auth/tokens"


def password_auth(user: dict, scope: dict | None = None) -> dict:
    auth = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if scope is not None:
        auth["scope"] = scope
    return {"auth": auth}


def by_name(name: str, password: str) -> dict:
    return {"name": name, "domain": {"name": "Default"}, "password": password}


def project_scope(project) -> dict:
    return {"project": {"name": project.name, "domain": {"id": "default"}}}


def keystone_error(response, status: int) -> dict:
    assert_status(response, status)
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "title", "message"}
    assert body["error"]["code"] == status and body["error"]["message"]
    return body["error"]


def issue(anonymous, body) -> tuple[str, dict]:
    response = assert_status(anonymous.post(TOKENS, body), 201)
    return response["X-Subject-Token"], response.json()["token"]


def test_discovery_documents_need_no_token(anonymous):
    versions = assert_status(anonymous.get("/identity"), 300).json()
    (v3,) = versions["versions"]["values"]
    assert v3["id"].startswith("v3.") and v3["status"] == "stable"
    assert v3["links"] == [{"rel": "self", "href": "http://testserver/identity/v3/"}]
    assert assert_status(anonymous.get("/identity/v3"), 200).json() == {"version": v3}
    assert assert_status(anonymous.get("/identity/v3/"), 200).json() == {"version": v3}


def test_password_by_name_scoped_by_name_gives_a_full_token(anonymous, alice, project_a):
    raw, token = issue(
        anonymous, password_auth(by_name("alice", "pw-alice"), project_scope(project_a))
    )
    assert token["user"]["name"] == "alice"
    assert token["user"]["domain"] == {"id": "default", "name": "Default"}
    assert token["project"] == {
        "id": project_a.id,
        "name": "project-a",
        "domain": {"id": "default", "name": "Default"},
    }
    # member implies reader (Keystone's default implied roles)
    assert sorted(r["name"] for r in token["roles"]) == ["member", "reader"]
    assert token["methods"] == ["password"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", token["expires_at"])
    # the token works on the image API
    images = ApiClient(raw, project_a, "alice-by-password")
    assert_status(images.get("/v2/images"), 200)
    created = images.create_image(name="from-keystone-token")
    assert created["owner"] == project_a.id


def test_catalog_points_at_this_server(anonymous, alice, project_a, settings):
    _, token = issue(
        anonymous, password_auth(by_name("alice", "pw-alice"), project_scope(project_a))
    )
    services = {entry["type"]: entry for entry in token["catalog"]}
    assert set(services) == {"image", "identity"}
    image = services["image"]["endpoints"]
    assert sorted(e["interface"] for e in image) == ["admin", "internal", "public"]
    assert {e["url"] for e in image} == {"http://testserver"}
    assert {e["region_id"] for e in image} == {"RegionOne"}
    assert {e["url"] for e in services["identity"]["endpoints"]} == {"http://testserver/identity"}

    settings.CATALOG_PUBLIC_ENDPOINT = "https://images.example.test"
    _, token = issue(
        anonymous, password_auth(by_name("alice", "pw-alice"), project_scope(project_a))
    )
    urls = {e["url"] for entry in token["catalog"] for e in entry["endpoints"]}
    assert urls == {"https://images.example.test", "https://images.example.test/identity"}


def test_password_by_user_id_scoped_by_project_id(anonymous, bob, project_b):
    user = get_user_model().objects.get(username="bob")
    body = password_auth(
        {"id": str(user.pk), "password": "pw-bob"}, {"project": {"id": project_b.id}}
    )
    _, token = issue(anonymous, body)
    assert token["user"]["id"] == str(user.pk) and token["project"]["id"] == project_b.id


def test_no_scope_takes_the_users_project(anonymous, carol, project_a):
    _, token = issue(anonymous, password_auth(by_name("carol", "pw-carol")))
    assert token["project"]["id"] == project_a.id
    assert [r["name"] for r in token["roles"]] == ["reader"]


def test_admin_token_lists_all_implied_roles(anonymous, admin):
    _, token = issue(anonymous, password_auth(by_name("admin", "pw-admin")))
    assert sorted(r["name"] for r in token["roles"]) == ["admin", "member", "reader"]


@pytest.mark.parametrize(
    "user",
    [
        by_name("alice", "wrong"),
        by_name("nobody", "pw-alice"),
        {"id": "999999", "password": "pw-alice"},
        {"id": "not-a-number", "password": "pw-alice"},
        {"name": "alice", "domain": {"name": "Elsewhere"}, "password": "pw-alice"},
        {"name": "alice", "domain": {"id": "elsewhere"}, "password": "pw-alice"},
    ],
)
def test_bad_credentials_are_401_in_keystones_body(anonymous, alice, user):
    response = anonymous.post(TOKENS, password_auth(user))
    error = keystone_error(response, 401)
    assert error["title"] == "Unauthorized"
    assert response["WWW-Authenticate"] == 'Keystone uri="http://testserver/identity"'
    assert "X-Subject-Token" not in response


def test_disabled_user_cannot_authenticate(anonymous, alice):
    get_user_model().objects.filter(username="alice").update(is_active=False)
    keystone_error(anonymous.post(TOKENS, password_auth(by_name("alice", "pw-alice"))), 401)


def test_scope_to_a_project_without_a_role_is_401(anonymous, alice, bob, project_b):
    response = anonymous.post(
        TOKENS, password_auth(by_name("alice", "pw-alice"), project_scope(project_b))
    )
    assert "no role" in keystone_error(response, 401)["message"]
    response = anonymous.post(
        TOKENS, password_auth(by_name("alice", "pw-alice"), {"project": {"id": "f" * 32}})
    )
    keystone_error(response, 401)
    response = anonymous.post(
        TOKENS, password_auth(by_name("alice", "pw-alice"), {"domain": {"id": "default"}})
    )
    assert "project-scoped" in keystone_error(response, 401)["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"auth": {}},
        {"auth": {"identity": {"methods": ["password"]}}},
        {"auth": {"identity": {"methods": "password", "password": {}}}},
        {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "a"}}}}},
        {"auth": {"identity": {"methods": ["token"], "token": {"id": 5}}}},
        password_auth(by_name("alice", "pw-alice"), {"project": {"id": 7}}),
        password_auth({"name": "alice", "password": "pw-alice"}),
        password_auth(by_name("alice", "pw-alice"), {"project": {"name": "project-a"}}),
    ],
)
def test_malformed_auth_bodies_are_400(anonymous, alice, body):
    assert "Invalid input" in keystone_error(anonymous.post(TOKENS, body), 400)["message"]


def test_bodies_that_are_not_json_objects_are_400(anonymous):
    keystone_error(anonymous.post(TOKENS, raw="{not json"), 400)
    keystone_error(anonymous.post(TOKENS, [1, 2]), 400)
    keystone_error(anonymous.post(TOKENS), 400)


def test_unsupported_method_is_401(anonymous):
    body = {"auth": {"identity": {"methods": ["totp"], "totp": {}}}}
    assert "Unsupported" in keystone_error(anonymous.post(TOKENS, body), 401)["message"]


def test_token_method_rescopes_without_extending_life(anonymous, project_a, project_b, alice):
    from catalog.identity import services

    user = get_user_model().objects.get(username="alice")
    services.assign_role(user, project_b, "reader")
    raw, first = issue(
        anonymous, password_auth(by_name("alice", "pw-alice"), project_scope(project_a))
    )
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": raw}},
            "scope": {"project": {"id": project_b.id}},
        }
    }
    rescoped_raw, rescoped = issue(anonymous, body)
    assert rescoped_raw != raw
    assert rescoped["project"]["id"] == project_b.id and rescoped["methods"] == ["token"]
    assert [r["name"] for r in rescoped["roles"]] == ["reader"]
    assert rescoped["expires_at"] <= first["expires_at"]
    Token.objects.filter(expires_at__gt=timezone.now()).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    keystone_error(anonymous.post(TOKENS, body), 401)


def validate(raw_caller: str, raw_subject: str, method="GET", client=None):
    client = client or ApiClient(raw_caller, None, "caller")
    return client.request(method, TOKENS, headers={"X-Subject-Token": raw_subject})


def test_validate_own_token_and_head(anonymous, alice, project_a):
    raw, issued = issue(
        anonymous, password_auth(by_name("alice", "pw-alice"), project_scope(project_a))
    )
    response = assert_status(validate(raw, raw), 200)
    assert response["X-Subject-Token"] == raw
    token = response.json()["token"]
    assert token["project"] == issued["project"] and token["expires_at"] == issued["expires_at"]
    assert token["roles"] == issued["roles"] and "catalog" in token
    no_catalog = ApiClient(raw, None, "c").client.get(
        TOKENS + "?nocatalog", headers={"X-Auth-Token": raw, "X-Subject-Token": raw}
    )
    assert "catalog" not in assert_status(no_catalog, 200).json()["token"]
    head = assert_status(validate(raw, raw, "HEAD"), 200)
    assert head.content == b""


def test_admin_validates_others_and_users_do_not(anonymous, admin, alice, bob):
    assert_status(validate(admin.token, alice.token), 200)
    # Another user's token is the same 404 as an unknown one (issue 15, finding 5).
    keystone_error(validate(bob.token, alice.token), 404)
    keystone_error(validate("not-a-token", alice.token), 401)
    keystone_error(ApiClient(None, None, "x").request("GET", TOKENS), 401)
    keystone_error(validate(admin.token, "not-a-token"), 404)
    keystone_error(ApiClient(admin.token, None, "x").request("GET", TOKENS), 400)


def test_delete_revokes_the_token(anonymous, alice, project_a):
    raw, _ = issue(anonymous, password_auth(by_name("alice", "pw-alice"), project_scope(project_a)))
    assert_status(validate(raw, raw, "DELETE"), 204)
    keystone_error(validate(raw, raw), 401)
    assert_status(ApiClient(raw, project_a, "revoked").get("/v2/images"), 401)


def test_removing_the_membership_or_the_user_invalidates_tokens(anonymous, admin, alice, bob):
    Membership.objects.filter(user__username="alice").delete()
    keystone_error(validate(admin.token, alice.token), 404)
    get_user_model().objects.filter(username="bob").delete()
    keystone_error(validate(admin.token, bob.token), 404)


def test_wrong_method_is_405_with_allow(anonymous):
    response = anonymous.put(TOKENS, {})
    keystone_error(response, 405)
    assert set(response["Allow"].split(", ")) >= {"POST", "GET", "HEAD", "DELETE"}


def test_unknown_identity_path_is_404_in_keystones_body(anonymous):
    keystone_error(anonymous.get("/identity/v3/users"), 404)


def test_identity_is_off_in_external_keystone_mode(anonymous, alice, settings):
    settings.CATALOG_KEYSTONE_URL = "http://127.0.0.1:9/v3"
    response = anonymous.post(TOKENS, password_auth(by_name("alice", "pw-alice")))
    assert "disabled" in keystone_error(response, 404)["message"]
    keystone_error(anonymous.get("/identity/v3"), 404)


def test_deploy_check_warns_about_keystone_over_plain_http(settings):
    from catalog.identity.checks import keystone_over_plain_http

    settings.CATALOG_KEYSTONE_URL = "http://keystone.example.test/v3"
    assert [w.id for w in keystone_over_plain_http(None)] == ["identity.W001"]
    settings.CATALOG_KEYSTONE_URL = "https://keystone.example.test/v3"
    assert keystone_over_plain_http(None) == []
    settings.CATALOG_KEYSTONE_URL = "http://127.0.0.1:5000/v3"
    assert keystone_over_plain_http(None) == []


def test_paths_that_only_start_like_identity_are_the_image_apis_404(anonymous):
    error = assert_status(anonymous.get("/identityx"), 404).json()["error"]
    assert "details" in error and "title" not in error


def test_project_is_shown_to_its_members_and_admins_only(admin, alice, bob, project_a):
    path = f"/identity/v3/projects/{project_a.id}"
    project = assert_status(alice.get(path), 200).json()["project"]
    assert (project["id"], project["name"], project["domain_id"]) == (
        project_a.id,
        "project-a",
        "default",
    )
    assert_status(admin.get(path), 200)
    keystone_error(bob.get(path), 403)
    keystone_error(bob.get("/identity/v3/projects/" + "f" * 32), 403)
    keystone_error(admin.get("/identity/v3/projects/" + "f" * 32), 404)
    keystone_error(ApiClient(None, None, "anonymous").get(path), 401)


def test_projects_are_listed_for_admins_only(admin, alice, project_a, project_b):
    projects = assert_status(admin.get("/identity/v3/projects"), 200).json()["projects"]
    assert {"project-a", "project-b"} <= {p["name"] for p in projects}
    named = admin.get("/identity/v3/projects", name="project-b").json()["projects"]
    assert [p["id"] for p in named] == [project_b.id]
    keystone_error(alice.get("/identity/v3/projects", name="project-b"), 403)


# Each of these was a 500 on PostgreSQL, which refuses NUL in a query (found by fuzzing).
@pytest.mark.parametrize(
    "body",
    [
        password_auth(by_name("alice\x00", "pw-alice")),
        password_auth(by_name("alice", "pw-alice"), {"project": {"id": "a\x00"}}),
        password_auth(
            by_name("alice", "pw-alice"),
            {"project": {"name": "project-a\x00", "domain": {"id": "default"}}},
        ),
    ],
)
def test_nul_in_auth_names_and_ids_is_400(anonymous, alice, body):
    error = keystone_error(anonymous.post(TOKENS, body), 400)
    assert "Invalid input" in error["message"] and "does not match" in error["message"]


def test_nul_in_a_project_id_or_name_filter_finds_nothing(admin, alice):
    keystone_error(admin.get("/identity/v3/projects/a%00b"), 404)
    keystone_error(alice.get("/identity/v3/projects/%00"), 403)
    listed = assert_status(admin.get("/identity/v3/projects?name=%00"), 200).json()
    assert listed["projects"] == []
