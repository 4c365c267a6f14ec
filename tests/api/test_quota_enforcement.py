"""Per-project quota enforcement: image_count_total on create, and the checks the data paths
make (count of uploads, size budget before, during and after a write)."""

import threading
import time

import pytest
from django.db import connection, transaction

from catalog.context import RequestContext, expand_roles
from catalog.models import Image, ProjectQuota
from catalog.services import quotas
from catalog.services.images import create_image
from catalog.services.quotas import STAGING, STORE, MiB, QuotaExceeded, set_project_quota
from tests.conftest import assert_status


def message(response):
    return response.json()["error"]["message"]


def make_images(persona, n, **state):
    ids = [persona.create_image()["id"] for _ in range(n)]
    if state:
        Image.objects.filter(pk__in=ids).update(**state)
    return ids


# --- image_count_total on create -----------------------------------------------------------


def test_create_over_image_count_total_is_413_and_writes_nothing(alice):
    set_project_quota(alice.project_id, image_count_total=2)
    alice.create_image()
    alice.create_image()
    response = assert_status(alice.post("/v2/images", {"name": "third", "tags": ["t"]}), 413)
    assert message(response) == (
        f"Quota image_count_total exceeded for project {alice.project_id}: "
        "limit 2 images, in use 2 images, this request 1 image."
    )
    assert Image.objects.filter(owner=alice.project_id).count() == 2
    assert not Image.objects.filter(name="third").exists()


def test_deleting_an_image_frees_its_place(alice):
    set_project_quota(alice.project_id, image_count_total=1)
    image = alice.create_image()
    assert_status(alice.post("/v2/images", {}), 413)
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    alice.create_image()


def test_the_default_limit_applies_to_every_project(settings, alice, bob):
    settings.CATALOG_QUOTA_IMAGE_COUNT_TOTAL = 1
    alice.create_image()
    bob.create_image()
    assert_status(alice.post("/v2/images", {}), 413)
    assert_status(bob.post("/v2/images", {}), 413)


def test_an_override_beats_the_default(settings, alice, bob):
    settings.CATALOG_QUOTA_IMAGE_COUNT_TOTAL = 1
    set_project_quota(alice.project_id, image_count_total=-1)
    for _ in range(3):
        alice.create_image()
    bob.create_image()
    assert_status(bob.post("/v2/images", {}), 413)


def test_the_owner_is_charged_even_when_an_admin_creates(admin, alice):
    set_project_quota(alice.project_id, image_count_total=1)
    alice.create_image()
    response = assert_status(admin.post("/v2/images", {"owner": alice.project_id}), 413)
    assert f"for project {alice.project_id}" in message(response)
    admin.create_image()  # the admin's own project is not limited


def test_killed_images_are_not_counted(alice):
    set_project_quota(alice.project_id, image_count_total=1)
    make_images(alice, 1, status="killed")
    alice.create_image()


# --- The data-path checks ------------------------------------------------------------------


def test_a_new_write_is_refused_over_image_count_uploading(alice):
    set_project_quota(alice.project_id, image_count_uploading=1)
    busy, idle = make_images(alice, 2)
    Image.objects.filter(pk=busy).update(status="saving")
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_data_write_start(alice.project_id, idle, target=STORE)
    assert refused.value.status_code == 413
    assert refused.value.message == (
        f"Quota image_count_uploading exceeded for project {alice.project_id}: "
        "limit 1 image, in use 1 image, this request 1 image."
    )
    # The image being written is not counted against itself (import after stage).
    assert quotas.check_data_write_start(alice.project_id, busy, target=STORE) is None


def test_the_store_budget_before_during_and_after_a_write(alice):
    set_project_quota(alice.project_id, image_size_total=10)
    stored, writing, other = make_images(alice, 3)
    Image.objects.filter(pk=stored).update(status="active", size=4 * MiB)
    budget = quotas.check_data_write_start(alice.project_id, writing, target=STORE)
    assert budget == 6 * MiB
    quotas.check_written(alice.project_id, writing, 6 * MiB, budget, target=STORE)
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_written(alice.project_id, writing, 6 * MiB + 1, budget, target=STORE)
    assert refused.value.message == (
        f"Quota image_size_total exceeded for project {alice.project_id}: "
        f"limit 10 MiB ({10 * MiB} bytes), in use 4 MiB ({4 * MiB} bytes), "
        f"this request {6 * MiB + 1} bytes."
    )
    # Another write committed meanwhile: the re-check after the write sees it.
    Image.objects.filter(pk=other).update(status="active", size=MiB)
    with transaction.atomic(), pytest.raises(QuotaExceeded):
        quotas.check_data_write_end(alice.project_id, writing, 6 * MiB, target=STORE)
    with transaction.atomic():
        quotas.check_data_write_end(alice.project_id, writing, 5 * MiB, target=STORE)


def test_a_declared_size_that_does_not_fit_is_refused_before_streaming(alice):
    set_project_quota(alice.project_id, image_size_total=1)
    (image_id,) = make_images(alice, 1)
    with pytest.raises(QuotaExceeded):
        quotas.check_data_write_start(
            alice.project_id, image_id, target=STORE, declared_size=MiB + 1
        )
    assert (
        quotas.check_data_write_start(alice.project_id, image_id, target=STORE, declared_size=MiB)
        == MiB
    )


def test_staging_has_its_own_budget(alice):
    set_project_quota(alice.project_id, image_stage_total=3, image_size_total=100)
    staged, writing = make_images(alice, 2)
    Image.objects.filter(pk=staged).update(status="uploading", size=2 * MiB)
    budget = quotas.check_data_write_start(alice.project_id, writing, target=STAGING)
    assert budget == MiB
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_written(alice.project_id, writing, MiB + 1, budget, target=STAGING)
    assert refused.value.message.startswith("Quota image_stage_total exceeded")
    # Staged data is not in the store.
    assert quotas.check_data_write_start(alice.project_id, writing, target=STORE) == 100 * MiB


def test_the_stricter_of_user_storage_quota_and_image_size_total_wins(settings, alice):
    (image_id,) = make_images(alice, 1)
    settings.CATALOG_USER_STORAGE_QUOTA = 1000
    set_project_quota(alice.project_id, image_size_total=1)
    assert quotas.storage_limit(alice.project_id) == 1000
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_written(alice.project_id, image_id, 1001, 1000, target=STORE)
    # Glance's static quota answers in Glance's words.
    assert refused.value.message.startswith("Image exceeds the storage quota: ")
    settings.CATALOG_USER_STORAGE_QUOTA = 0
    assert quotas.storage_limit(alice.project_id) == MiB
    set_project_quota(alice.project_id, image_size_total=None)
    assert quotas.storage_limit(alice.project_id) is None


def test_ownerless_images_are_never_limited(settings):
    settings.CATALOG_QUOTA_IMAGE_SIZE_TOTAL = 0
    assert quotas.check_data_write_start(None, "x", target=STORE, declared_size=10) is None


@pytest.mark.django_db(transaction=True)
def test_the_project_lock_needs_a_transaction(alice):
    with pytest.raises(RuntimeError):
        quotas.lock_project(alice.project_id)


def test_overrides_are_validated(alice):
    from catalog.exceptions import BadRequest

    for bad in ({"image_count_total": -2}, {"image_count_total": "5"}, {"nope": 1}):
        with pytest.raises(BadRequest):
            set_project_quota(alice.project_id, **bad)
    assert not ProjectQuota.objects.filter(project_id=alice.project_id).exists()


# --- Races (PostgreSQL: SQLite has no row locks and serialises every writer anyway) ----------


def run_concurrently(functions) -> list:
    """Run each function in its own thread (own database connection); their results."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_writes_racing_for_the_last_bytes_cannot_both_commit(alice):
    set_project_quota(alice.project_id, image_size_total=10)
    first, second = make_images(alice, 2, status="saving")

    def finish(image_id):
        def commit():
            with transaction.atomic():
                quotas.check_data_write_end(alice.project_id, image_id, 6 * MiB, target=STORE)
                time.sleep(0.3)  # widen the window between the check and the commit
                Image.objects.filter(pk=image_id).update(status="active", size=6 * MiB)
            return "committed"

        return commit

    results = run_concurrently([finish(first), finish(second)])
    assert sorted(map(type, results), key=str) == sorted([str, QuotaExceeded], key=str), results
    assert quotas.storage_used(alice.project_id) == 6 * MiB


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_stop_at_image_count_total(alice):
    set_project_quota(alice.project_id, image_count_total=2)
    ctx = RequestContext(user_id="u", project_id=alice.project_id, roles=expand_roles(["member"]))
    results = run_concurrently([lambda: create_image(ctx, {}) for _ in range(5)])
    created = [r for r in results if isinstance(r, Image)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert (len(created), len(refused)) == (2, 3), results
    assert Image.objects.filter(owner=alice.project_id).count() == 2
