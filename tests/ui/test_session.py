"""The HTML catalog's login, project switching and security headers."""

import pytest
from django.test import Client

from catalog.identity.services import SESSION_PROJECT_KEY
from tests.conftest import assert_status


@pytest.fixture
def browser(alice, project_b):
    from catalog.identity import services

    user = services.ensure_user("alice")[0]
    services.assign_role(user, project_b, "reader")
    client = Client()
    return client


def log_in(client, username="alice", password="pw-alice"):
    return client.post("/catalog/login/", {"username": username, "password": password})


def test_pages_need_a_login(browser):
    response = assert_status(browser.get("/catalog/"), 302)
    assert response["Location"].startswith("/catalog/login/?next=/catalog/")


def test_login_acts_in_the_first_project_and_shows_it(browser, project_a):
    response = log_in(browser)
    assert_status(response, 302)
    page = assert_status(browser.get("/catalog/"), 200).content.decode()
    assert "project <strong>project-a</strong>" in page
    assert browser.session[SESSION_PROJECT_KEY] == project_a.id


def test_wrong_password_shows_the_form_again(browser):
    response = assert_status(log_in(browser, password="nope"), 200)
    assert "Please enter a correct username and password" in response.content.decode()


def test_switching_to_a_project_of_the_user(browser, project_b):
    log_in(browser)
    assert_status(browser.post("/catalog/project/", {"project_id": project_b.id}), 302)
    page = browser.get("/catalog/").content.decode()
    assert "project <strong>project-b</strong>" in page and "reader" in page


def test_switching_to_a_foreign_project_is_refused(browser, admin_project):
    log_in(browser)
    response = browser.post("/catalog/project/", {"project_id": admin_project.id}, follow=True)
    assert "You have no role in that project." in response.content.decode()
    assert browser.session[SESSION_PROJECT_KEY] != admin_project.id


def test_open_redirects_are_ignored(browser):
    response = browser.post(
        "/catalog/login/?next=https://evil.example/",
        {"username": "alice", "password": "pw-alice", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/catalog/"


def test_forms_need_csrf(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/catalog/login/", {"username": "alice", "password": "pw-alice"})
    assert_status(response, 403)


def test_html_pages_carry_security_headers(browser):
    response = browser.get("/catalog/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()


def test_logout(browser):
    log_in(browser)
    assert_status(browser.post("/catalog/logout/"), 302)
    assert_status(browser.get("/catalog/"), 302)
