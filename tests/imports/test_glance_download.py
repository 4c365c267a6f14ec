"""glance-download between two regions sharing one identity service, with real servers:
region one is a standalone Vitrine (also the identity service, whose settings name region
two's image endpoint); region two is a Vitrine that trusts region one as its Keystone."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from tests.livesrv import ROOT, LiveServer, gunicorn_available

pytestmark = pytest.mark.skipif(not gunicorn_available(), reason="gunicorn is not installed")
PEOPLE = [
    ("vitrine", "service-secret", "service", "admin"),
    ("alice", "pw-alice", "project-a", "member"),
]
METHODS = "glance-direct,web-download,copy-image,glance-download"


@pytest.fixture(scope="module")
def regions(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("regions")
    two = LiveServer(workdir / "two")
    one = LiveServer(
        workdir / "one",
        extra_env={
            "CATALOG_ENABLED_IMPORT_METHODS": METHODS,
            "CATALOG_REMOTE_REGIONS": json.dumps({"RegionTwo": two.url}),
            "CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
            "CATALOG_IMPORT_ALLOWED_PORTS": "",
            "CATALOG_STAGING_DIR": str(workdir / "one" / "staging"),
        },
    )
    two.env.update(
        {
            "CATALOG_KEYSTONE_URL": f"{one.url}/identity/v3",
            "CATALOG_KEYSTONE_USERNAME": "vitrine",
            "CATALOG_KEYSTONE_PASSWORD": "service-secret",
            "CATALOG_KEYSTONE_PROJECT": "service",
        }
    )
    one.start()
    try:
        one.add_people(PEOPLE)
        two.start()
    except BaseException:
        one.stop()
        raise
    token = one.password_token("alice", "pw-alice", "project-a")
    yield one, two, token
    two.stop()
    one.stop()


def call(server, method, path, token, body=None, data=None):
    headers = {"X-Auth-Token": token}
    if data is not None:
        headers["Content-Type"] = "application/octet-stream"
    elif body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body)
    response = server.request(method, path, data, headers)
    return response.status, json.loads(response.data) if response.data else None


def run_worker(server):
    subprocess.run(
        [sys.executable, "manage.py", "run_worker", "--batch"],
        cwd=ROOT, env=server.env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def test_an_image_is_copied_from_the_other_region(regions):
    one, two, token = regions
    data = os.urandom(300_000)
    status, remote = call(
        two, "POST", "/v2/images", token,
        {"name": "golden", "disk_format": "raw", "container_format": "bare",
         "hw_disk_bus": "virtio", "os_distro": "debian", "note": "not copied"},
    )  # fmt: skip
    assert status == 201, remote
    assert call(two, "PUT", f"/v2/images/{remote['id']}/file", token, data=data)[0] == 204

    status, local = call(one, "POST", "/v2/images", token, {"name": "copy"})
    assert status == 201
    body = {
        "method": {
            "name": "glance-download",
            "glance_region": "RegionTwo",
            "glance_image_id": remote["id"],
        }
    }
    status, answer = call(one, "POST", f"/v2/images/{local['id']}/import", token, body)
    assert status == 202, answer
    status, image = call(one, "GET", f"/v2/images/{local['id']}", token)
    assert (image["status"], image["disk_format"], image["container_format"]) == (
        "importing", "raw", "bare",
    )  # fmt: skip
    run_worker(one)
    status, image = call(one, "GET", f"/v2/images/{local['id']}", token)
    assert image["status"] == "active", call(one, "GET", f"/v2/images/{local['id']}/tasks", token)
    assert image["checksum"] == hashlib.md5(data).hexdigest()
    assert image["hw_disk_bus"] == "virtio" and image["os_distro"] == "debian"
    assert "note" not in image
    tasks = call(one, "GET", f"/v2/images/{local['id']}/tasks", token)[1]["tasks"]
    assert tasks[0]["status"] == "success"
    assert "secret" not in tasks[0] and token not in json.dumps(tasks[0])


@pytest.mark.parametrize(
    "method,expected",
    [
        # Accepted, and the task fails with the reason (Glance's contract).
        ({"glance_region": "RegionNine"}, (202, "No public image service endpoint for region")),
        ({"glance_image_id": "a0000000-0000-4000-8000-00000000dead"}, (202, "could not be read")),
        # Early 400s, as Glance.
        ({"glance_image_id": "not-a-uuid"}, (400, "does not look like a UUID")),
    ],
)
def test_refusals(regions, method, expected):
    one, _, token = regions
    status, local = call(one, "POST", "/v2/images", token, {"name": "x"})
    body = {
        "method": {
            "name": "glance-download",
            "glance_region": "RegionTwo",
            "glance_image_id": "a0000000-0000-4000-8000-000000000001",
            **method,
        }
    }
    status, answer = call(one, "POST", f"/v2/images/{local['id']}/import", token, body)
    assert status == expected[0], answer
    if status == 202:
        tasks = call(one, "GET", f"/v2/images/{local['id']}/tasks", token)[1]["tasks"]
        assert tasks[0]["status"] == "failure" and expected[1] in tasks[0]["message"]
    else:
        assert expected[1] in answer["error"]["message"]
    image = call(one, "GET", f"/v2/images/{local['id']}", token)[1]
    assert image["status"] == "queued" and "os_glance_import_task" not in image


def test_a_site_without_glance_download_refuses_it(regions):
    _, two, token = regions
    status, local = call(two, "POST", "/v2/images", token, {"name": "x"})
    body = {
        "method": {
            "name": "glance-download",
            "glance_region": "RegionOne",
            "glance_image_id": "a0000000-0000-4000-8000-000000000001",
        }
    }
    status, answer = call(two, "POST", f"/v2/images/{local['id']}/import", token, body)
    assert (
        status == 400
        and "Unknown import method name 'glance-download'" in answer["error"]["message"]
    )
