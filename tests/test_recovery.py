"""Leases and the recovery sweep (`manage.py recover`), in-process: the state a killed
process leaves (a lease nobody renews, a half-written temporary file) is built with the
services' own first steps, then the sweep runs. tests/e2e/test_crash_recovery.py kills real
processes."""

import hashlib
import io
import os
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from catalog import checks
from catalog.context import RequestContext, expand_roles
from catalog.data import staging, stores
from catalog.models import Image, ImageLocation, ImageProperty, Lease, Task
from catalog.services import image_data, leases, quotas, recovery
from catalog.services.imports import task_record
from tests.api.test_image_data import upload
from tests.conftest import assert_status
from tests.imports.test_import_api import import_, stage

pytestmark = pytest.mark.django_db(transaction=True)


def ctx_of(persona) -> RequestContext:
    return RequestContext(
        user_id="u", project_id=persona.project_id, roles=expand_roles(["member"])
    )


def expire_leases():
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))


def recover() -> str:
    out = io.StringIO()
    call_command("recover", stdout=out)
    return out.getvalue()


def dead_upload(persona, image_id, data=b"x" * 100_000):
    """What a gunicorn worker killed mid-upload leaves: the image saving, its lease, a
    temporary file in the store."""
    store = stores.default_store()
    image_data._start_saving(ctx_of(persona), image_id, None, store)
    store.begin(image_id).write(data)


def test_a_dead_upload_is_queued_again_with_nothing_left(alice, image_store_dir):
    image = alice.create_image(disk_format="raw", container_format="bare")
    before = quotas.usage_of(alice.project_id, quotas.IMAGE_COUNT_UPLOADING)
    dead_upload(alice, image["id"])
    assert Image.objects.get(pk=image["id"]).status == "saving"
    assert quotas.usage_of(alice.project_id, quotas.IMAGE_COUNT_UPLOADING) == before + 1
    assert os.listdir(image_store_dir)  # the temporary file
    # A retry while the lease lives is a write in progress, as before.
    assert_status(upload(alice, image["id"], b"data"), 409)

    expire_leases()
    assert "1 upload" in recover()

    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert not os.listdir(image_store_dir)
    assert not Lease.objects.exists()
    assert quotas.usage_of(alice.project_id, quotas.IMAGE_COUNT_UPLOADING) == before
    data = os.urandom(300_000)
    assert_status(upload(alice, image["id"], data), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()


def test_a_live_lease_is_left_alone(alice):
    image = alice.create_image(disk_format="raw", container_format="bare")
    dead_upload(alice, image["id"])
    assert "0 upload" in recover()
    assert Image.objects.get(pk=image["id"]).status == "saving"
    assert Lease.objects.count() == 1


def test_a_dead_stage_is_queued_again_and_its_staged_bytes_released(alice, staging_dir):
    image = alice.create_image(disk_format="raw", container_format="bare")
    store = staging.staging_store()
    with pytest.raises(RuntimeError):
        image_data.stage_data(ctx_of(alice), image["id"], _dies_after(b"y" * 1000))
    # A failure the process sees puts the image back and gives the lease up...
    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert not Lease.objects.exists()
    # ...a killed process leaves this instead.
    Image.objects.filter(pk=image["id"]).update(status="uploading")
    Lease.objects.create(
        kind=Lease.STAGE,
        image_id=image["id"],
        store=store.id,
        holder="dead",
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    store.begin(image["id"]).write(b"y" * 1000)
    assert os.listdir(staging_dir)

    assert "1 stage" in recover()

    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert not os.listdir(staging_dir)
    assert_status(stage(alice, image["id"], b"z" * 512), 204)


def _dies_after(data):
    yield data
    raise RuntimeError("killed")


def dead_import(persona, image_id, staging_dir) -> Task:
    """A glance-direct import whose worker died after claiming the task."""
    assert_status(stage(persona, image_id, b"\x5a" * 512), 204)
    assert_status(import_(persona, image_id, {"method": {"name": "glance-direct"}}), 202)
    task = Task.objects.get(image_id=image_id)
    assert task_record.claim(task.pk) is not None
    return task


def test_a_dead_import_is_requeued_while_it_has_attempts(alice, staging_dir, image_store_dir):
    image = alice.create_image(disk_format="raw", container_format="bare")
    task = dead_import(alice, image["id"], staging_dir)
    stores.default_store().begin(image["id"]).write(b"half")  # its write to the store
    expire_leases()
    assert "1 requeued" in recover()
    assert not os.listdir(image_store_dir)  # the half-written copy is gone...
    assert staging.has_staged_data(image["id"])  # ...the staged data kept for the retry
    task.refresh_from_db()
    assert task.status == "pending" and "Restarted" in task.message
    call_command("run_worker", batch=True, verbosity=0)
    task.refresh_from_db()
    assert task.status == "success", task.message
    assert Image.objects.get(pk=image["id"]).status == "active"
    assert not Lease.objects.exists()


def test_a_dead_import_out_of_attempts_fails_and_unlocks(alice, staging_dir, settings):
    settings.CATALOG_IMPORT_MAX_ATTEMPTS = 1
    image = alice.create_image(disk_format="raw", container_format="bare")
    task = dead_import(alice, image["id"], staging_dir)
    expire_leases()
    assert "1 failed" in recover()
    task.refresh_from_db()
    assert task.status == "failure" and "interrupted" in task.message
    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert not ImageProperty.objects.filter(
        image_id=image["id"], name="os_glance_import_task"
    ).exists()
    # A new import is not refused for an active task.
    assert_status(stage(alice, image["id"], b"\x5a" * 512), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)


def test_a_write_whose_lease_was_taken_over_stops(alice):
    image = alice.create_image(disk_format="raw", container_format="bare")
    lease = leases.acquire(Lease.UPLOAD, image["id"])
    with leases.hold(lease) as held:
        Lease.objects.filter(pk=lease.pk).delete()  # the sweep took it over
        leases.renew_now()
        assert held.lost.is_set()
        with pytest.raises(leases.LeaseLost):
            list(held.guard([b"a", b"b"]))


def test_the_renewal_pushes_expiry_forward(alice, settings):
    settings.CATALOG_LEASE_TIMEOUT = 30
    image = alice.create_image(disk_format="raw", container_format="bare")
    lease = leases.acquire(Lease.UPLOAD, image["id"])
    Lease.objects.filter(pk=lease.pk).update(expires_at=timezone.now() + timedelta(seconds=1))
    with leases.hold(lease):
        leases.renew_now()
    assert Lease.objects.get(pk=lease.pk).expires_at > timezone.now() + timedelta(seconds=20)


def test_two_sweepers_racing_recover_a_dead_write_once(alice):
    images = [alice.create_image(disk_format="raw", container_format="bare") for _ in range(5)]
    for image in images:
        dead_upload(alice, image["id"], b"x" * 10)
    expire_leases()
    results, start = [], threading.Barrier(2)

    def sweeper():
        start.wait()
        try:
            results.append(recovery.sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["upload"] for r in results) == 5
    assert set(
        Image.objects.filter(pk__in=[i["id"] for i in images]).values_list("status", flat=True)
    ) == {"queued"}


def test_writes_left_without_a_lease_by_an_older_version_are_recovered(alice, staging_dir):
    upload_image = alice.create_image(disk_format="raw", container_format="bare")
    dead_upload(alice, upload_image["id"])
    import_image = alice.create_image(disk_format="raw", container_format="bare")
    task = dead_import(alice, import_image["id"], staging_dir)
    Lease.objects.all().delete()  # as the version before leases left them
    output = recover()
    assert "1 upload" in output and "1 requeued" in output
    assert Image.objects.get(pk=upload_image["id"]).status == "queued"
    task.refresh_from_db()
    assert task.status == "pending"


def test_the_data_of_a_delete_killed_before_the_store_call_is_removed(alice, image_store_dir):
    image = alice.create_image(disk_format="raw", container_format="bare")
    assert_status(upload(alice, image["id"], b"data"), 204)
    # The delete committed (copies flagged pending_delete), then its process died.
    Image.objects.filter(pk=image["id"]).update(status="deleted", deleted=True)
    ImageLocation.objects.update(status=ImageLocation.PENDING_DELETE)
    assert "0 deleted blobs" in recover()  # a live delete may be calling the store now
    ImageLocation.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    assert "1 deleted blobs" in recover()
    assert not os.listdir(image_store_dir)
    assert not ImageLocation.objects.exists()


def test_a_removed_setting_still_set_is_warned_about(settings):
    settings.CATALOG_REMOVED_SETTINGS = {"CATALOG_IMPORT_STALE_AFTER": "CATALOG_LEASE_TIMEOUT"}
    warnings = checks.removed_settings(None)
    assert [w.id for w in warnings] == ["catalog.W030"]
    assert "CATALOG_LEASE_TIMEOUT" in warnings[0].hint
