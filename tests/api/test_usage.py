"""GET /v2/info/usage: the UsageInfo body with real limits and the caller's project usage.

Data states (active with a size, staged, saving) are set on the rows directly: this module
tests the accounting; the data paths have their own tests.
"""

import jsonschema
import pytest

from catalog.api.info import USAGE_INFO_SCHEMA
from catalog.models import Image, ImageProperty
from catalog.services.quotas import MiB, set_project_quota
from tests.conftest import assert_status

NAMES = ["image_size_total", "image_count_total", "image_stage_total", "image_count_uploading"]


def usage(persona) -> dict:
    body = assert_status(persona.get("/v2/info/usage"), 200).json()
    jsonschema.validate(body, USAGE_INFO_SCHEMA)
    assert list(body["usage"]) == NAMES
    return body["usage"]


def figures(persona, what="usage") -> dict:
    return {name: value[what] for name, value in usage(persona).items()}


def set_state(image_id, **fields):
    Image.objects.filter(pk=image_id).update(**fields)


def test_fresh_project_has_default_limits_and_no_usage(alice):
    assert usage(alice) == {name: {"limit": -1, "usage": 0} for name in NAMES}


def test_limits_come_from_settings_then_from_project_overrides(alice, bob, settings):
    settings.CATALOG_QUOTA_IMAGE_SIZE_TOTAL = 1000
    settings.CATALOG_QUOTA_IMAGE_COUNT_TOTAL = 10
    settings.CATALOG_QUOTA_IMAGE_STAGE_TOTAL = 500
    settings.CATALOG_QUOTA_IMAGE_COUNT_UPLOADING = 2
    set_project_quota(alice.project_id, image_count_total=3, image_size_total=-1)
    assert figures(alice, "limit") == {
        "image_size_total": -1,
        "image_count_total": 3,
        "image_stage_total": 500,
        "image_count_uploading": 2,
    }
    assert figures(bob, "limit") == {
        "image_size_total": 1000,
        "image_count_total": 10,
        "image_stage_total": 500,
        "image_count_uploading": 2,
    }
    # None returns a limit to the default.
    set_project_quota(alice.project_id, image_count_total=None)
    assert figures(alice, "limit")["image_count_total"] == 10
    assert figures(alice, "limit")["image_size_total"] == -1


def test_usage_after_creates_data_states_and_deletes(alice, bob, admin):
    ids = [alice.create_image()["id"] for _ in range(6)]
    bob.create_image()
    admin.create_image(owner=alice.project_id)  # charged to its owner, A
    assert figures(alice) == {
        "image_size_total": 0,
        "image_count_total": 7,
        "image_stage_total": 0,
        "image_count_uploading": 0,
    }
    set_state(ids[0], status="active", size=3 * MiB)
    set_state(ids[1], status="deactivated", size=MiB + MiB // 2)
    set_state(ids[2], status="uploading", size=2 * MiB)  # staged, waiting for import
    set_state(ids[3], status="saving")  # upload in progress, size not known yet
    set_state(ids[4], status="killed", size=50 * MiB)  # neither counted nor charged
    assert figures(alice) == {
        "image_size_total": 4,  # 4.5 MiB, rounded down as Glance does
        "image_count_total": 6,
        "image_stage_total": 2,
        "image_count_uploading": 2,
    }
    for image_id in (ids[0], ids[2], ids[5]):
        assert_status(alice.delete(f"/v2/images/{image_id}"), 204)
    assert figures(alice) == {
        "image_size_total": 1,
        "image_count_total": 3,
        "image_stage_total": 0,
        "image_count_uploading": 1,
    }
    assert figures(bob)["image_count_total"] == 1


def test_a_copy_in_progress_counts_as_staging_and_uploading(alice):
    image_id = alice.create_image()["id"]
    set_state(image_id, status="active", size=5 * MiB)
    ImageProperty.objects.create(
        image_id=image_id, name="os_glance_importing_to_stores", value="fast,slow"
    )
    assert figures(alice) == {
        "image_size_total": 5,
        "image_count_total": 1,
        "image_stage_total": 5,
        "image_count_uploading": 1,
    }
    ImageProperty.objects.filter(image_id=image_id).update(value="")  # copy finished
    assert figures(alice)["image_count_uploading"] == 0


def test_readers_see_their_project_usage(alice, carol):
    alice.create_image()
    assert figures(carol)["image_count_total"] == 1


def test_usage_needs_an_identity(anonymous):
    assert_status(anonymous.get("/v2/info/usage"), 401)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_usage_is_read_only(alice, method):
    response = assert_status(getattr(alice, method)("/v2/info/usage"), 405)
    assert response["Allow"] == "GET"


def test_usage_costs_a_constant_number_of_queries(alice, django_assert_max_num_queries):
    for _ in range(10):
        alice.create_image()
    # Token and roles (2), the project's overrides (1), one query per usage figure (4).
    with django_assert_max_num_queries(7):
        assert figures(alice)["image_count_total"] == 10
