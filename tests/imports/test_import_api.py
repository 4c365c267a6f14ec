"""Stage and import end to end, with the real worker run in-process."""

import hashlib

import pytest

from catalog.models import Image, ImageProperty, Task
from tests.conftest import assert_status

from .conftest import PAYLOAD

pytestmark = pytest.mark.django_db(transaction=True)
OCTET = "application/octet-stream"


def stage(persona, image_id, data):
    return persona.client.generic(
        "PUT",
        f"/v2/images/{image_id}/stage",
        data=data,
        content_type=OCTET,
        headers=persona._headers(None),
    )


def import_(persona, image_id, body, headers=None):
    return persona.post(f"/v2/images/{image_id}/import", body, headers=headers)


def props(image_id):
    return dict(ImageProperty.objects.filter(image_id=image_id).values_list("name", "value"))


def raw(persona, **extra):
    return persona.create_image(disk_format="raw", container_format="bare", **extra)


def test_glance_direct_end_to_end(alice, run_worker, staging_dir):
    image = raw(alice)
    data = b"\x5a" * 512
    assert_status(stage(alice, image["id"], data), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert (shown["status"], shown["size"]) == ("uploading", 512)
    response = assert_status(
        import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202
    )
    assert response.content == b""
    task = Task.objects.get(image_id=image["id"])
    assert task.request_id == response["x-openstack-request-id"]
    assert props(image["id"])["os_glance_import_task"] == task.pk
    assert alice.get(f"/v2/images/{image['id']}").json()["status"] == "importing"
    # The lock: a second import at once is refused.
    second = assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 409)
    assert "Image has active task" in second.json()["error"]["message"]

    run_worker()
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active"
    assert (shown["size"], shown["virtual_size"]) == (512, 512)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["os_glance_importing_to_stores"] == "" and shown["os_glance_failed_import"] == ""
    assert "os_glance_import_task" not in shown
    assert not staging_dir.exists() or list(staging_dir.iterdir()) == []
    tasks = alice.get(f"/v2/images/{image['id']}/tasks").json()["tasks"]
    assert [(t["type"], t["status"]) for t in tasks] == [("api_image_import", "success")]
    assert tasks[0]["result"] == {"image_id": image["id"]}
    assert tasks[0]["expires_at"].endswith("Z")
    downloaded = b"".join(alice.get(f"/v2/images/{image['id']}/file").streaming_content)
    assert downloaded == data


def test_glance_direct_needs_staged_data(alice):
    image = raw(alice)
    response = assert_status(
        import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 409
    )
    assert response.json()["error"]["message"] == (
        "Image needs to be staged before 'glance-direct' method can be used"
    )


def test_stage_without_formats_then_import_is_409(alice):
    """As Glance: staging needs no formats, the import then asks for them (a 409)."""
    image = alice.create_image(container_format="bare")
    assert_status(stage(alice, image["id"], b"x" * 10), 204)
    assert alice.get(f"/v2/images/{image['id']}").json()["status"] == "uploading"
    response = assert_status(
        import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 409
    )
    assert response.json()["error"]["message"] == "'disk_format' needs to be set before import"


def test_stage_twice_is_409_and_stage_checks_format(alice):
    image = raw(alice)
    assert_status(stage(alice, image["id"], b"x" * 10), 204)
    response = assert_status(stage(alice, image["id"], b"x" * 10), 409)
    assert "from uploading to uploading is not allowed" in response.json()["error"]["message"]
    qcow = alice.create_image(disk_format="qcow2", container_format="bare")
    assert_status(stage(alice, qcow["id"], b"\0" * 4096), 415)
    assert Image.objects.get(pk=qcow["id"]).status == "queued"


def test_stage_needs_modify_image(alice, carol, bob):
    image = raw(alice)
    assert_status(stage(carol, image["id"], b"x"), 403)
    assert_status(stage(bob, image["id"], b"x"), 404)


def test_import_body_errors(alice):
    image = raw(alice)
    cases = [
        ({}, 400, "requires a 'method' field"),
        ({"method": {"name": "nope"}}, 400, "Unknown import method name 'nope'."),
        ({"method": {"name": "glance-download"}}, 400, "Unknown import method"),
        ({"method": {"name": "copy-image"}}, 403, "copy_image"),
    ]
    for body, status, message in cases:
        response = assert_status(import_(alice, image["id"], body), status)
        assert message in response.json()["error"]["message"]


def test_web_download_end_to_end(alice, run_worker, file_server, open_loopback):
    image = raw(alice)
    body = {"method": {"name": "web-download", "uri": f"{file_server}/image.raw"}}
    assert_status(import_(alice, image["id"], body), 202)
    assert Image.objects.get(pk=image["id"]).status == "importing"
    run_worker()
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active" and shown["size"] == len(PAYLOAD)
    assert shown["checksum"] == hashlib.md5(PAYLOAD).hexdigest()


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://2130706433/x",
        "http://0x7f000001/x",
        "http://10.0.0.1:8080/x",
        "ftp://10.0.0.1/x",
        "http://[::ffff:127.0.0.1]/x",
    ],
)
def test_web_download_refusals_at_request_time(alice, uri):
    image = raw(alice)
    response = assert_status(
        import_(alice, image["id"], {"method": {"name": "web-download", "uri": uri}}), 400
    )
    assert response.json()["error"]["message"].startswith(
        f"URI for web-download does not pass filtering: {uri}"
    )
    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert not Task.objects.exists()


def test_web_download_redirect_to_a_refused_host_fails_the_task(
    alice, run_worker, file_server, open_loopback
):
    image = raw(alice)
    body = {"method": {"name": "web-download", "uri": f"{file_server}/to-metadata"}}
    assert_status(import_(alice, image["id"], body), 202)
    run_worker()
    task = Task.objects.get(image_id=image["id"])
    assert task.status == "failure"
    assert "does not pass filtering: http://169.254.169.254/" in task.message
    row = Image.objects.get(pk=image["id"])
    assert row.status == "queued" and row.size is None
    assert "os_glance_import_task" not in props(image["id"])
    assert props(image["id"])["os_glance_failed_import"] == "local"


def test_web_download_over_the_size_cap_fails_cleanly(
    alice, run_worker, file_server, open_loopback, settings, staging_dir
):
    settings.CATALOG_IMAGE_SIZE_CAP = 1000
    image = raw(alice)
    body = {"method": {"name": "web-download", "uri": f"{file_server}/image.raw"}}
    assert_status(import_(alice, image["id"], body), 202)
    run_worker()
    task = Task.objects.get(image_id=image["id"])
    assert task.status == "failure" and "over the limit of 1000 bytes" in task.message
    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert not staging_dir.exists() or list(staging_dir.iterdir()) == []
    # The lock is gone: a new import may start.
    settings.CATALOG_IMAGE_SIZE_CAP = 10 * len(PAYLOAD)
    assert_status(import_(alice, image["id"], body), 202)
    run_worker()
    assert Image.objects.get(pk=image["id"]).status == "active"


def test_info_import_lists_the_enabled_methods(alice, settings):
    body = assert_status(alice.get("/v2/info/import"), 200).json()
    assert body == {
        "import-methods": {
            "description": "Import methods available.",
            "type": "array",
            "value": ["glance-direct", "web-download", "copy-image"],
        }
    }
    settings.CATALOG_ENABLED_IMPORT_METHODS = ["web-download"]
    assert alice.get("/v2/info/import").json()["import-methods"]["value"] == ["web-download"]
    image = raw(alice)
    response = assert_status(stage(alice, image["id"], b"x"), 404)
    assert "'glance-direct' method is not available" in response.json()["error"]["message"]


def test_tasks_api_is_admin_only(alice, admin, run_worker):
    image = raw(alice)
    assert_status(stage(alice, image["id"], b"x" * 10), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    run_worker()
    task = Task.objects.get()
    assert_status(alice.get("/v2/tasks"), 403)
    assert_status(alice.get(f"/v2/tasks/{task.pk}"), 403)
    listed = assert_status(admin.get("/v2/tasks"), 200).json()
    assert [t["id"] for t in listed["tasks"]] == [task.pk]
    assert listed["schema"] == "/v2/schemas/tasks"
    detail = assert_status(admin.get(f"/v2/tasks/{task.pk}"), 200).json()
    assert detail["input"]["import_req"] == {"method": {"name": "glance-direct"}}
    assert detail["self"] == f"/v2/tasks/{task.pk}"
    response = assert_status(admin.delete(f"/v2/tasks/{task.pk}"), 405)
    assert response["Allow"] == "GET"
    assert_status(admin.get("/v2/tasks?status=bogus"), 400)
    assert_status(admin.get("/v2/tasks?limit=-1"), 400)
    assert_status(admin.get("/v2/tasks/nope"), 404)


def test_image_tasks_are_listed_for_the_owner_only(alice, bob, run_worker):
    image = raw(alice, visibility="community")
    assert_status(stage(alice, image["id"], b"x" * 10), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    run_worker()
    assert len(alice.get(f"/v2/images/{image['id']}/tasks").json()["tasks"]) == 1
    assert bob.get(f"/v2/images/{image['id']}/tasks").json()["tasks"] == []


def test_single_store_site_has_no_store_discovery(alice, admin):
    assert_status(alice.get("/v2/info/stores"), 404)
    assert_status(admin.get("/v2/info/stores/detail"), 404)


def test_scrub_removes_staged_data_no_import_needs(alice, staging_dir):
    from django.core.management import call_command

    kept, dropped = raw(alice), raw(alice)
    for image in (kept, dropped):
        assert_status(stage(alice, image["id"], b"s" * 10), 204)
    # An image deleted while staged: its staged data is nobody's.
    Image.objects.filter(pk=dropped["id"]).update(status="deleted", deleted=True)
    (staging_dir / f".tmp-{kept['id']}-dead").write_bytes(b"half")
    call_command("scrub_images", min_age=0, verbosity=0)
    assert sorted(p.name for p in staging_dir.iterdir()) == [kept["id"]]


def test_deleting_a_staged_image_removes_its_staged_data(alice, staging_dir):
    image = raw(alice)
    assert_status(stage(alice, image["id"], b"s" * 10), 204)
    assert (staging_dir / image["id"]).exists()
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    assert list(staging_dir.iterdir()) == []


def test_expired_tasks_are_pruned_when_a_worker_starts(alice, run_worker, settings):
    from datetime import timedelta

    from django.utils import timezone

    image = raw(alice)
    assert_status(stage(alice, image["id"], b"x" * 10), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    run_worker()
    task = Task.objects.get()
    assert task.expires_at - task.updated_at == timedelta(hours=settings.CATALOG_TASK_TIME_TO_LIVE)
    Task.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    run_worker()
    assert not Task.objects.exists()


@pytest.mark.parametrize("query", ["marker=%00", "type=api%00", "sort_key=%00"])
def test_nul_in_task_list_parameters_is_400(admin, query):
    # PostgreSQL refuses NUL in a comparison: these were 500s there (found by fuzzing).
    response = assert_status(admin.get(f"/v2/tasks?{query}"), 400)
    assert response.json()["error"]["message"] == "Query parameters can't contain NUL characters."


@pytest.mark.parametrize("task_id", ["%00", "a%00b"])
def test_nul_in_a_task_id_finds_nothing(admin, task_id):
    response = assert_status(admin.get(f"/v2/tasks/{task_id}"), 404)
    assert response.json()["error"]["message"].startswith("Task with the given id")


@pytest.mark.parametrize(
    "method,field",
    [
        ({"glance_region": [1]}, "glance_region"),
        ({"glance_region": {"a": 1}}, "glance_region"),
        ({"glance_region": 5}, "glance_region"),
        ({"glance_service_interface": ["public"]}, "glance_service_interface"),
    ],
)
def test_glance_download_fields_of_the_wrong_type_are_400(alice, settings, method, field):
    # A list or an object as glance_region was a 500 (TypeError: unhashable), found by fuzzing.
    settings.CATALOG_ENABLED_IMPORT_METHODS = ["glance-direct", "glance-download"]
    image = raw(alice)
    body = {
        "method": {
            "name": "glance-download",
            "glance_region": "RegionTwo",
            "glance_image_id": "a0000000-0000-4000-8000-000000000001",
            **method,
        }
    }
    response = assert_status(import_(alice, image["id"], body), 400)
    assert response.json()["error"]["message"] == f"'{field}' must be a string."
    assert alice.get(f"/v2/images/{image['id']}").json()["status"] == "queued"


def test_tasks_can_be_paged_by_a_key_that_is_null(admin, alice):
    """expires_at is null until a task ends: paging by it must not fail on those tasks."""
    from django.utils import timezone

    for ended in (None, timezone.now(), None):
        Task.objects.create(owner=alice.project_id, expires_at=ended)
    seen = []
    path = "/v2/tasks?sort_key=expires_at&sort_dir=asc&limit=1"
    while path:
        page = assert_status(admin.get(path), 200).json()
        seen += [t["id"] for t in page["tasks"]]
        path = page.get("next")
    assert sorted(seen) == sorted(Task.objects.values_list("pk", flat=True))
    assert len(seen) == 3
