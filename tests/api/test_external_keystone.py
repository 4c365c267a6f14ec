"""External Keystone mode, against a real Keystone v3 token API: a second Vitrine in
standalone mode, served by gunicorn on another loopback port, is the cloud's Keystone."""

import json
import urllib.request

import pytest
from django.core.cache import cache

from catalog.identity import external
from catalog.identity.models import Project
from tests.conftest import ApiClient, assert_status
from tests.livesrv import LiveServer, free_port, gunicorn_available

PEOPLE = [
    ("vitrine", "service-secret", "service", "admin"),
    ("alice", "pw-alice", "cloud-a", "member"),
    ("carol", "pw-carol", "cloud-a", "reader"),
    ("bob", "pw-bob", "cloud-b", "member"),
    ("boss", "pw-boss", "cloud-admin", "admin"),
]


@pytest.fixture(scope="module")
def keystone(tmp_path_factory):
    if not gunicorn_available():
        pytest.skip("gunicorn is not installed in this environment (make install-test)")
    with LiveServer(tmp_path_factory.mktemp("keystone")) as server:
        server.add_people(PEOPLE)
        yield server


@pytest.fixture
def external_mode(settings, keystone, db):
    settings.CATALOG_KEYSTONE_URL = f"{keystone.url}/identity/v3"
    settings.CATALOG_KEYSTONE_USERNAME = "vitrine"
    settings.CATALOG_KEYSTONE_PASSWORD = "service-secret"
    settings.CATALOG_KEYSTONE_PROJECT = "service"
    settings.CATALOG_KEYSTONE_CACHE_TTL = 60
    cache.clear()
    external._service_tokens.clear()
    yield keystone
    cache.clear()
    external._service_tokens.clear()


def cloud_user(keystone, name: str) -> ApiClient:
    user, password, project, _ = next(p for p in PEOPLE if p[0] == name)
    return ApiClient(keystone.password_token(user, password, project), None, name)


def revoke_at_keystone(keystone, raw: str) -> None:
    request = urllib.request.Request(
        f"{keystone.url}/identity/v3/auth/tokens",
        method="DELETE",
        headers={"X-Auth-Token": raw, "X-Subject-Token": raw},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 204


def error_message(response, status: int) -> str:
    assert_status(response, status)
    return response.json()["error"]["message"]


def test_keystone_token_acts_in_its_project(external_mode):
    alice = cloud_user(external_mode, "alice")
    image = alice.create_image(name="from-the-cloud")
    project_id = external_mode.projects["cloud-a"]
    assert image["owner"] == project_id
    listed = assert_status(alice.get("/v2/images"), 200).json()["images"]
    assert [i["id"] for i in listed] == [image["id"]]
    # the project is recorded the first time it is seen, for the admin UI
    recorded = Project.objects.get(pk=project_id)
    assert recorded.name == "cloud-a" and recorded.domain_id == "default"


def test_keystone_roles_become_policy_roles(external_mode):
    carol = cloud_user(external_mode, "carol")
    assert_status(carol.post("/v2/images", {}), 403)
    assert_status(carol.get("/v2/images"), 200)
    alice = cloud_user(external_mode, "alice")
    assert_status(alice.post("/v2/images", {"visibility": "public"}), 403)
    boss = cloud_user(external_mode, "boss")
    public = boss.create_image(visibility="public")
    assert_status(carol.get(f"/v2/images/{public['id']}"), 200)
    other = cloud_user(external_mode, "bob").create_image(name="bobs")
    assert_status(alice.get(f"/v2/images/{other['id']}"), 404)
    assert_status(boss.get(f"/v2/images/{other['id']}"), 200)


def test_refused_tokens_are_401(external_mode):
    assert_status(ApiClient("not-a-keystone-token", None, "x").get("/v2/images"), 401)
    assert_status(ApiClient("x" * 9000, None, "x").get("/v2/images"), 401)
    assert_status(ApiClient(None, None, "anonymous").get("/v2/images"), 401)


def test_validations_are_cached_briefly(external_mode, settings):
    alice = cloud_user(external_mode, "alice")
    assert_status(alice.get("/v2/images"), 200)
    revoke_at_keystone(external_mode, alice.token)
    # still trusted from the cache: Keystone is not asked on every request
    assert_status(alice.get("/v2/images"), 200)
    cache.clear()
    assert_status(alice.get("/v2/images"), 401)

    settings.CATALOG_KEYSTONE_CACHE_TTL = 0
    bob = cloud_user(external_mode, "bob")
    assert_status(bob.get("/v2/images"), 200)
    revoke_at_keystone(external_mode, bob.token)
    assert_status(bob.get("/v2/images"), 401)


def test_revoked_service_token_is_renewed(external_mode):
    alice = cloud_user(external_mode, "alice")
    assert_status(alice.get("/v2/images"), 200)
    (service_token, _) = next(iter(external._service_tokens.values()))
    revoke_at_keystone(external_mode, service_token)
    cache.clear()
    assert_status(alice.get("/v2/images"), 200)
    assert next(iter(external._service_tokens.values()))[0] != service_token


def test_unreachable_keystone_is_503_with_a_clear_message(external_mode, settings):
    settings.CATALOG_KEYSTONE_URL = f"http://127.0.0.1:{free_port()}/v3"
    response = ApiClient("some-token", None, "x").get("/v2/images")
    message = error_message(response, 503)
    assert "cannot be reached" in message and settings.CATALOG_KEYSTONE_URL in message
    assert response["Retry-After"]


def test_refused_service_account_is_503_naming_the_settings(external_mode, settings):
    settings.CATALOG_KEYSTONE_PASSWORD = "wrong"
    message = error_message(ApiClient("some-token", None, "x").get("/v2/images"), 503)
    assert "'vitrine'" in message and "CATALOG_KEYSTONE_USERNAME" in message


def test_a_server_that_is_not_keystone_is_503(external_mode, settings, keystone):
    settings.CATALOG_KEYSTONE_URL = f"{keystone.url}/versions"
    assert_status(ApiClient("some-token", None, "x").get("/v2/images"), 503)


def test_project_name_taken_locally_gets_a_suffix(external_mode):
    Project.objects.create(name="cloud-b")
    bob = cloud_user(external_mode, "bob")
    assert_status(bob.get("/v2/images"), 200)
    project_id = external_mode.projects["cloud-b"]
    assert Project.objects.get(pk=project_id).name == f"cloud-b ({project_id[:8]})"


def test_stand_in_keystone_validates_with_the_service_token(keystone):
    """The contract external mode relies on, shown on the wire."""
    service = keystone.password_token("vitrine", "service-secret", "service")
    user = keystone.password_token("alice", "pw-alice", "cloud-a")
    request = urllib.request.Request(
        f"{keystone.url}/identity/v3/auth/tokens?nocatalog",
        headers={"X-Auth-Token": service, "X-Subject-Token": user},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        token = json.load(answer)["token"]
    assert token["project"]["name"] == "cloud-a" and "catalog" not in token
    assert sorted(r["name"] for r in token["roles"]) == ["member", "reader"]


def test_incomplete_service_account_fails_at_start(tmp_path):
    import os
    import subprocess
    import sys

    from tests.livesrv import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALOG_")}
    env.update(
        CATALOG_VAR_DIR=str(tmp_path),
        CATALOG_KEYSTONE_URL="https://keystone.example.test/v3",
        CATALOG_KEYSTONE_USERNAME="vitrine",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "CATALOG_KEYSTONE_PASSWORD, CATALOG_KEYSTONE_PROJECT" in result.stderr
