"""Retention per family: the newest N kept, older versions deactivated then deleted after
the grace period (by the worker's periodic job or manage.py apply_retention), protected and
accepted-shared images always kept, and a dry run that changes nothing."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from catalog.models import Image, RetiredImage
from catalog.services import families, retention
from catalog.worker import jobs
from tests.api.test_families import version
from tests.conftest import assert_status


def statuses(images):
    return [Image.objects.get(pk=i["id"]).status for i in images]


def test_dry_run_then_real_run_keeps_protected_and_shared(alice, bob):
    families.set_policy(alice.project_id, "f", keep_newest=2, grace_days=3)
    images = [version(alice, "f", f"1.{n}") for n in range(1, 6)]  # 1.1 ... 1.5
    assert_status(
        alice.patch(
            f"/v2/images/{images[0]['id']}",
            [{"op": "replace", "path": "/protected", "value": True}],
        ),
        200,
    )
    shared = images[1]
    assert_status(
        alice.patch(
            f"/v2/images/{shared['id']}",
            [{"op": "replace", "path": "/visibility", "value": "shared"}],
        ),
        200,
    )
    assert_status(alice.post(f"/v2/images/{shared['id']}/members", {"member": bob.project_id}), 200)
    assert_status(
        bob.put(f"/v2/images/{shared['id']}/members/{bob.project_id}", {"status": "accepted"}), 200
    )

    planned = retention.run(dry_run=True)
    assert [(s.action, s.image_id) for s in planned] == [("deactivate", images[2]["id"])]
    assert statuses(images) == ["active"] * 5  # a dry run changes nothing
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert f"would deactivate {images[2]['id']}" in out.getvalue()

    done = retention.run()
    assert [(s.action, s.image_id) for s in done] == [("deactivate", images[2]["id"])]
    assert statuses(images) == ["active", "active", "deactivated", "active", "active"]
    retired = RetiredImage.objects.get()
    assert retired.delete_after - retired.retired_at == timedelta(days=3)
    assert retention.run() == []  # nothing more until the grace period passes

    later = timezone.now() + timedelta(days=3, minutes=1)
    assert [(s.action, s.image_id) for s in retention.run(dry_run=True, now=later)] == [
        ("delete", images[2]["id"])
    ]
    retention.run(now=later)
    assert Image.objects.get(pk=images[2]["id"]).deleted
    assert statuses(images)[:2] == ["active", "active"]
    assert "retention" in [job.name for job in jobs.PERIODIC]


def test_a_reactivated_image_is_released_not_deleted(alice):
    families.set_policy(alice.project_id, "g", keep_newest=1, grace_days=0)
    old = version(alice, "g", "1")
    version(alice, "g", "2")
    retention.run()
    assert Image.objects.get(pk=old["id"]).status == "deactivated"
    assert_status(alice.post(f"/v2/images/{old['id']}/actions/reactivate"), 204)
    steps = retention.run(now=timezone.now() + timedelta(minutes=1))
    assert [(s.action, s.image_id) for s in steps] == [("release", old["id"])]
    assert not Image.objects.get(pk=old["id"]).deleted
    assert not RetiredImage.objects.exists()


def test_families_without_retention_keep_everything(alice):
    images = [version(alice, "h", str(n)) for n in range(3)]
    families.set_policy(alice.project_id, "h", keep_newest=None)
    assert retention.run() == []
    assert statuses(images) == ["active"] * 3
