"""Quota overrides set by admins: the Django admin and ``manage.py project_quota``."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from catalog.models import ProjectQuota
from catalog.services import quotas
from tests.conftest import assert_status

ADD = "/admin/catalog/projectquota/add/"


@pytest.fixture
def admin_browser(admin):
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def test_admin_sets_an_override_in_the_django_admin(admin_browser, alice):
    form = {
        "project_id": alice.project_id,
        "image_size_total": "100",
        "image_stage_total": "",
        "image_count_total": "1",
        "image_count_uploading": "-1",
    }
    assert_status(admin_browser.post(ADD, form), 302)
    limits = quotas.project_limits(alice.project_id)
    assert limits["image_size_total"] == 100 and limits["image_count_total"] == 1
    assert limits["image_stage_total"] == -1  # empty: the default
    alice.create_image()
    assert_status(alice.post("/v2/images", {}), 413)
    quota = ProjectQuota.objects.get(project_id=alice.project_id)
    page = assert_status(admin_browser.get(f"/admin/catalog/projectquota/{quota.pk}/change/"), 200)
    assert b"image_count_total: 1 of 1" in page.content
    assert_status(admin_browser.get("/admin/catalog/projectquota/"), 200)


def test_the_admin_refuses_limits_below_minus_one(admin_browser, alice):
    form = {"project_id": alice.project_id, "image_count_total": "-5"}
    page = assert_status(admin_browser.post(ADD, form), 200)
    assert b"Use -1 for unlimited" in page.content
    assert not ProjectQuota.objects.filter(project_id=alice.project_id).exists()


def test_non_staff_users_cannot_reach_the_quota_admin(alice):
    client = Client()
    client.force_login(get_user_model().objects.get(username="alice"))
    assert_status(client.get(ADD), 302)  # to the admin login page


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("project_quota", *args, stdout=out)
    return out.getvalue()


def test_command_sets_shows_and_resets_limits(alice, project_a):
    alice.create_image()
    output = run("project-a", "--image-count-total", "5", "--image-size-total", "-1")
    assert f"project {project_a.id}" in output
    assert "image_count_total" in output and "5 (override)" in output
    assert quotas.project_limits(project_a.id)["image_count_total"] == 5
    assert "usage          1 images" in output
    output = run(project_a.id, "--image-count-total", "default")
    assert quotas.project_limits(project_a.id)["image_count_total"] == -1
    assert "-1 (default)" in output


def test_command_accepts_external_project_ids(db):
    run("0123456789abcdef0123456789abcdef", "--image-count-uploading", "2")
    assert quotas.project_limits("0123456789abcdef0123456789abcdef")["image_count_uploading"] == 2


@pytest.mark.parametrize("value", ["many", "-2", str(2**63)])
def test_command_rejects_bad_values(project_a, value):
    # 2**63 crashed the command with OverflowError from the database driver.
    with pytest.raises(CommandError):
        run("project-a", "--image-count-total", value)
    assert not ProjectQuota.objects.filter(image_count_total__isnull=False).exists()


def test_command_takes_the_largest_storable_limit(project_a):
    run("project-a", "--image-size-total", str(2**63 - 1))
    assert quotas.project_limits(project_a.id)["image_size_total"] == 2**63 - 1


def test_adding_overrides_for_a_project_with_a_row_updates_it(admin_browser, alice):
    alice.create_image()
    ProjectQuota.objects.get_or_create(project_id=alice.project_id)  # e.g. its lock row
    form = {"project_id": alice.project_id, "image_count_total": "7"}
    assert_status(admin_browser.post(ADD, form), 302)
    assert ProjectQuota.objects.filter(project_id=alice.project_id).count() == 1
    assert quotas.project_limits(alice.project_id)["image_count_total"] == 7
