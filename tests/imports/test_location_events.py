"""Events of the locations API: what an added location changes is in the audit trail, in
the order it happened, whether the worker attaches it or refuses it."""

import hashlib

from catalog.models import AuditRecord
from tests.conftest import assert_status
from tests.imports.conftest import LOCATION_DATA as DATA
from tests.imports.conftest import raw_image


def trail(image_id):
    rows = AuditRecord.objects.filter(target_id=image_id).order_by("id")
    return [(row.event_type, row.changes.get("status")) for row in rows]


def test_an_attached_location_is_recorded(
    alice, web, run_worker, django_capture_on_commit_callbacks
):
    image = raw_image(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(
            f"/v2/images/{image['id']}/locations", {"url": f"{web.base}/small.img"}
        )
        assert_status(response, 202)
        run_worker()
    assert trail(image["id"])[-2:] == [
        ("image.update", ["queued", "importing"]),
        ("image.update", ["importing", "active"]),
    ]
    attached = AuditRecord.objects.filter(target_id=image["id"]).order_by("id").last()
    assert attached.detail["location"] == f"{web.base}/small.img"


def test_a_refused_location_is_recorded_back_to_queued(
    alice, web, run_worker, django_capture_on_commit_callbacks
):
    image = raw_image(alice)
    wrong = {"os_hash_algo": "sha256", "os_hash_value": hashlib.sha256(DATA + b"x").hexdigest()}
    with django_capture_on_commit_callbacks(execute=True):
        body = {"url": f"{web.base}/small.img", "validation_data": wrong}
        assert_status(alice.post(f"/v2/images/{image['id']}/locations", body), 202)
        run_worker()
    assert trail(image["id"])[-2:] == [
        ("image.update", ["queued", "importing"]),
        ("image.update", ["importing", "queued"]),
    ]
