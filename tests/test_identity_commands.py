"""create_project, create_user and issue_token refuse what they cannot store or honour
(each case below was accepted, or crashed with a traceback, before)."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from catalog.identity import services
from catalog.identity.models import Project, Token
from tests.conftest import assert_status


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


@pytest.mark.parametrize("name", ["", "p" * 65])
def test_create_project_refuses_empty_and_overlong_names(db, name):
    with pytest.raises(CommandError):
        run("create_project", name)
    assert not Project.objects.filter(name=name).exists()


def test_create_project_is_idempotent_and_takes_a_fixed_id(db):
    project_id = run("create_project", "project-z", "--id", "f" * 32)
    assert project_id == "f" * 32
    assert run("create_project", "project-z") == project_id
    assert Project.objects.filter(name="project-z").count() == 1


@pytest.mark.parametrize("username", ["", "two words", "u" * 151])
def test_create_user_refuses_names_django_refuses(project_a, username):
    with pytest.raises(CommandError, match="Invalid username"):
        run("create_user", username, "--project", "project-a")
    assert not get_user_model().objects.filter(username=username).exists()


@pytest.mark.parametrize("ttl", ["-5", str(services.MAX_TOKEN_TTL + 1), "99999999999999999999"])
def test_issue_token_refuses_impossible_lifetimes(alice, ttl):
    # -5 issued an already expired token; 10**20 crashed with OverflowError.
    with pytest.raises(CommandError, match="lifetime"):
        run("issue_token", "alice", "--project", "project-a", "--ttl", ttl)
    assert not Token.objects.filter(description="management command").exists()


def test_issue_token_takes_a_lifetime(alice):
    run("issue_token", "alice", "--project", "project-a", "--ttl", "120")
    token = Token.objects.get(description="management command")
    assert timedelta(seconds=110) < token.expires_at - timezone.now() <= timedelta(seconds=120)


def test_the_admin_refuses_an_impossible_lifetime(admin, alice, project_a):
    browser = Client()
    browser.force_login(get_user_model().objects.get(username="admin"))
    user = get_user_model().objects.get(username="alice")
    form = {"user": user.pk, "project": project_a.pk, "ttl": str(10**20), "description": "x"}
    page = assert_status(browser.post("/admin/identity/token/add/", form), 200)
    assert b"Ensure this value is less than or equal to" in page.content
    assert not Token.objects.filter(description="x").exists()
