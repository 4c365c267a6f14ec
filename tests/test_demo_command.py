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
    assert "nothing to do" in run_demo()


def test_demo_url_defaults_to_the_makefile_default(db):
    assert "Browser: http://127.0.0.1:8000/admin/" in run_demo()
