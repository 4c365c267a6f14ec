"""Per-project quotas enforced on the real data path (PUT /file), end to end."""

import os

import pytest

from catalog.models import Image
from catalog.services import quotas
from catalog.services.quotas import MiB, set_project_quota
from tests.api.test_image_data import assert_queued_without_data, raw_image, upload
from tests.api.test_quota_enforcement import run_concurrently
from tests.conftest import assert_status


def test_upload_over_image_size_total_is_413_and_leaves_nothing(alice, image_store_dir):
    set_project_quota(alice.project_id, image_size_total=1)
    first, second = raw_image(alice), raw_image(alice)
    assert_status(upload(alice, first["id"], b"a" * (MiB // 2)), 204)
    response = assert_status(upload(alice, second["id"], b"b" * (MiB // 2 + 1)), 413)
    message = response.json()["error"]["message"]
    assert message.startswith(f"Quota image_size_total exceeded for project {alice.project_id}")
    assert "limit 1 MiB" in message and f"in use {MiB // 2} bytes" in message
    assert_queued_without_data(second["id"], image_store_dir, other_blobs=1)
    # What fits still fits.
    assert_status(upload(alice, second["id"], b"b" * (MiB // 2)), 204)


def test_a_declared_size_over_the_budget_is_refused_before_streaming(alice, image_store_dir):
    set_project_quota(alice.project_id, image_size_total=1)
    image = raw_image(alice)
    response = upload(alice, image["id"], b"c" * (2 * MiB))
    message = assert_status(response, 413).json()["error"]["message"]
    assert f"this request {2 * MiB // MiB} MiB" in message
    assert_queued_without_data(image["id"], image_store_dir)


def test_image_count_uploading_refuses_a_second_write_in_progress(alice, image_store_dir):
    set_project_quota(alice.project_id, image_count_uploading=1)
    busy, image = raw_image(alice), raw_image(alice)
    Image.objects.filter(pk=busy["id"]).update(status="saving")  # an upload in progress
    response = assert_status(upload(alice, image["id"], b"x" * 10), 413)
    assert "image_count_uploading" in response.json()["error"]["message"]
    assert Image.objects.get(pk=image["id"]).status == "queued"


def test_usage_follows_real_uploads_and_deletes(alice, image_store_dir):
    set_project_quota(alice.project_id, image_size_total=10, image_count_total=5)
    images = [raw_image(alice) for _ in range(3)]
    for image in images[:2]:
        assert_status(upload(alice, image["id"], b"u" * (2 * MiB + 7)), 204)
    usage = assert_status(alice.get("/v2/info/usage"), 200).json()["usage"]
    assert usage["image_size_total"] == {"limit": 10, "usage": 4}  # MiB, rounded down
    assert usage["image_count_total"] == {"limit": 5, "usage": 3}
    assert usage["image_count_uploading"]["usage"] == 0
    assert_status(alice.delete(f"/v2/images/{images[0]['id']}"), 204)
    usage = alice.get("/v2/info/usage").json()["usage"]
    assert usage["image_size_total"]["usage"] == 2
    assert usage["image_count_total"]["usage"] == 2
    assert len(os.listdir(image_store_dir)) == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_uploads_racing_for_the_last_bytes_cannot_both_land(alice, image_store_dir):
    set_project_quota(alice.project_id, image_size_total=1)
    first, second = raw_image(alice), raw_image(alice)
    data = b"r" * (600 * 1024)
    results = run_concurrently(
        [lambda i=i: upload(alice, i["id"], data).status_code for i in (first, second)]
    )
    assert sorted(results) == [204, 413], results
    assert quotas.storage_used(alice.project_id) == len(data)
    assert len(os.listdir(image_store_dir)) == 1
