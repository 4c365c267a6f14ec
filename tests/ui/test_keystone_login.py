"""The catalog's login in external Keystone mode, as Horizon does it: against a real Keystone
v3 token API (a standalone Vitrine on a free port plays the cloud's Keystone)."""

import json
import time

import pytest
from django.test import Client

from catalog.identity.services import KEYSTONE_SESSION_KEY
from tests.conftest import assert_status
from tests.livesrv import LiveServer, gunicorn_available

pytestmark = pytest.mark.skipif(not gunicorn_available(), reason="gunicorn is not installed")

PEOPLE = [
    ("vitrine", "service-secret", "service", "admin"),
    ("dana", "pw-dana", "proj-x", "member"),
    ("dana", "pw-dana", "proj-y", "reader"),
]


@pytest.fixture(scope="module")
def keystone(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("keystone"))
    with server:
        server.add_people(PEOPLE)
        yield server


@pytest.fixture
def external_mode(settings, keystone):
    settings.CATALOG_KEYSTONE_URL = f"{keystone.url}/identity/v3"
    settings.CATALOG_KEYSTONE_USERNAME = "vitrine"
    settings.CATALOG_KEYSTONE_PASSWORD = "service-secret"
    settings.CATALOG_KEYSTONE_PROJECT = "service"
    return keystone


def log_in(client, password="pw-dana"):
    return client.post("/catalog/login/", {"username": "dana", "password": password})


def test_login_acts_with_the_keystone_tokens_project_and_roles(db, external_mode):
    browser = Client()
    assert_status(log_in(browser), 302)
    page = assert_status(browser.get("/catalog/"), 200).content.decode()
    assert "proj-x" in page and "proj-y" in page  # the switcher lists both projects
    state = browser.session[KEYSTONE_SESSION_KEY]
    assert state["identity"]["project_name"] == "proj-x"
    assert "pw-dana" not in json.dumps(state) and state["token"].startswith("gAAAA")
    # The API in the same session acts in that project.
    created = browser.post("/v2/images", {"name": "from-ui"}, content_type="application/json")
    assert assert_status(created, 201).json()["owner"] == external_mode.projects["proj-x"]


def test_switching_project_rescopes_the_token(db, external_mode):
    browser = Client()
    log_in(browser)
    target = external_mode.projects["proj-y"]
    assert_status(browser.post("/catalog/project/", {"project_id": target}), 302)
    state = browser.session[KEYSTONE_SESSION_KEY]
    assert state["identity"]["project_id"] == target
    assert state["identity"]["roles"] == ["reader"]
    refused = browser.post("/v2/images", {"name": "x"}, content_type="application/json")
    assert_status(refused, 403)  # a reader of proj-y
    foreign = browser.post("/catalog/project/", {"project_id": "f" * 32}, follow=True)
    assert "You have no role in that project." in foreign.content.decode()


def test_bad_password_and_expired_logins(db, external_mode):
    browser = Client()
    page = assert_status(log_in(browser, password="nope"), 200).content.decode()
    assert "Please enter a correct username and password" in page
    log_in(browser)
    session = browser.session
    session[KEYSTONE_SESSION_KEY] = {**session[KEYSTONE_SESSION_KEY], "expires": time.time() - 1}
    session.save()
    assert_status(browser.get("/catalog/"), 302)


def test_the_admin_keeps_working_with_local_staff_accounts(db, external_mode):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", password="pw-root")
    browser = Client()
    assert browser.login(username="root", password="pw-root")
    assert_status(browser.get("/admin/catalog/image/"), 200)
