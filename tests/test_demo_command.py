"""manage.py ensure_demo: the first admin, and what `make run` prints about it."""

import io

import pytest
from django.core.management import call_command

from catalog.identity.models import Token


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # ensure_demo writes clouds.yaml there


def run_demo(*args):
    out = io.StringIO()
    call_command("ensure_demo", *args, stdout=out)
    return out.getvalue()


def test_demo_prints_the_url_it_is_served_at(db):
    # `PORT=8731 make run` printed http://127.0.0.1:8000 links (found following the README).
    output = run_demo("--url", "http://127.0.0.1:8731/")
    assert "Browser: http://127.0.0.1:8731/admin/" in output
    assert "http://127.0.0.1:8731/v2/images" in output
    assert ":8000" not in output
    assert Token.objects.count() == 1
    assert "An admin exists already" in run_demo()


def test_demo_url_defaults_to_the_makefile_default(db):
    assert "Browser: http://127.0.0.1:8000/admin/" in run_demo()


def clouds(settings):
    from catalog.identity import clouds_yaml

    return clouds_yaml.parse((settings.VAR_DIR / "clouds.yaml").read_text())["vitrine"]


def test_clouds_yaml_follows_the_port_of_every_start(db, settings):
    # `PORT=8100 make run`, stop, `PORT=8101 make run`: the CLI must reach 8101 (issue 2).
    first = run_demo("--url", "http://127.0.0.1:8100")
    password = clouds(settings)["password"]
    assert f"password: {password}" in first
    assert clouds(settings)["auth_url"] == "http://127.0.0.1:8100/identity/v3"
    again = run_demo("--url", "http://127.0.0.1:8101")
    assert clouds(settings)["auth_url"] == "http://127.0.0.1:8101/identity/v3"
    assert clouds(settings)["password"] == password  # still the admin's
    # The rerun says where the password and the file are, and how to reset.
    path = settings.VAR_DIR / "clouds.yaml"
    assert f"password: in {path}" in again
    assert f"OS_CLIENT_CONFIG_FILE={path}" in again
    assert "ensure_demo --reset-password" in again and "changepassword" in again
    assert password not in again  # the file has it; the log of every start does not
    assert (path.stat().st_mode & 0o077) == 0


def test_reset_password_gives_a_working_password_and_rewrites_the_file(db, settings):
    from django.contrib.auth import authenticate

    run_demo("--url", "http://127.0.0.1:8100")
    old = clouds(settings)["password"]
    output = run_demo("--reset-password", "--url", "http://127.0.0.1:8102")
    new = clouds(settings)["password"]
    assert new != old and f"password: {new}" in output
    assert clouds(settings)["auth_url"] == "http://127.0.0.1:8102/identity/v3"
    assert authenticate(username="admin", password=new) is not None
    assert authenticate(username="admin", password=old) is None


def test_a_changed_password_is_reported_not_written(db, settings):
    from django.contrib.auth import get_user_model

    run_demo()
    user = get_user_model().objects.get(username="admin")
    user.set_password("changed-by-hand")
    user.save()
    output = run_demo("--url", "http://127.0.0.1:8105")
    assert "is not in" in output and "--reset-password" in output
    assert clouds(settings)["password"] != "changed-by-hand"
