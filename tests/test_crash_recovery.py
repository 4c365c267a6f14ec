"""Processes killed the way an OOM killer, a deploy or a lost host kills them, with real
processes: a gunicorn worker SIGKILLed mid-upload and mid-stage, gunicorn stopped (SIGTERM)
mid-upload. Within a
lease timeout and a sweep everything is back where a retry works.

The live server runs on SQLite, or, when the suite runs on PostgreSQL, on a database of its
own on the same server (tests/livesrv.py: ``live_database_env``)."""

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.livesrv import (
    ROOT,
    LiveServer,
    drop_live_database,
    gunicorn_available,
    live_database_env,
)

pytestmark = pytest.mark.skipif(not gunicorn_available(), reason="gunicorn is not installed")
MiB = 1024 * 1024
LEASE, SWEEP = 2, 1


@pytest.fixture
def live(tmp_path, db):
    database = live_database_env(tmp_path.name)
    env = {
        "CATALOG_LEASE_TIMEOUT": str(LEASE),
        "CATALOG_RECOVERY_INTERVAL": str(SWEEP),
        "CATALOG_STAGING_DIR": str(tmp_path / "live" / "staging"),
        # A stopping gunicorn kills the workers whose requests outlive this.
        "GUNICORN_CMD_ARGS": "--graceful-timeout 1",
        **database,
    }
    server = LiveServer(tmp_path / "live", extra_env=env).start()
    workers = []
    server.start_worker = lambda: workers.append(start_worker(server)) or workers[-1]
    yield server
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    server.stop()
    drop_live_database(database)


def start_worker(live: LiveServer) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
        cwd=ROOT,
        env=live.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def get_json(live, path):
    response = live.request("GET", path)
    assert response.status == 200, response.data
    return json.loads(response.data)


def uploading_count(live) -> int:
    return get_json(live, "/v2/info/usage")["usage"]["image_count_uploading"]["usage"]


def wait_for(predicate, timeout=60, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(step)
    raise AssertionError("timed out")


def start_partial_upload(live, path, total, sent):
    """Send ``sent`` of ``total`` declared bytes and leave the request hanging."""
    conn = live.connection()
    conn.putrequest("PUT", path)
    for name, value in live.headers(
        **{"Content-Type": "application/octet-stream", "Content-Length": str(total)}
    ).items():
        conn.putheader(name, value)
    conn.endheaders()
    block = os.urandom(MiB)
    for _ in range(sent // MiB):
        conn.send(block)
    return conn


def kill_gunicorn_worker_mid_write(live, image_id, route, writing_status):
    """Start a 64 MiB write, let 8 MiB arrive, SIGKILL the gunicorn worker; returns the
    moment of the kill."""
    conn = start_partial_upload(live, f"/v2/images/{image_id}/{route}", 64 * MiB, 8 * MiB)
    wait_for(lambda: get_json(live, f"/v2/images/{image_id}")["status"] == writing_status)
    time.sleep(0.5)  # the bytes sent reach the store's temporary file
    os.kill(live.worker_pid(), signal.SIGKILL)
    killed_at = time.monotonic()
    conn.close()
    return killed_at


def upload_whole(live, image_id, data, route="file"):
    response = live.request(
        "PUT",
        f"/v2/images/{image_id}/{route}",
        data,
        {"Content-Type": "application/octet-stream"},
    )
    return response


def wait_for_gunicorn(live):
    wait_for(lambda: _answers(live), timeout=30)


def _answers(live):
    try:
        return live.request("GET", "/versions").status == 200
    except (OSError, http.client.HTTPException):
        return False


def test_an_upload_killed_mid_way_is_queued_again_and_a_retry_works(live):
    image_id = live.create_image()
    before = uploading_count(live)
    live.start_worker()
    killed_at = kill_gunicorn_worker_mid_write(live, image_id, "file", "saving")
    wait_for_gunicorn(live)  # the master starts a new worker
    wait_for(lambda: get_json(live, f"/v2/images/{image_id}")["status"] == "queued", timeout=30)
    recovered = time.monotonic() - killed_at
    print(f"upload recovered {recovered:.1f} s after the SIGKILL")
    assert recovered < LEASE + SWEEP + 2
    assert os.listdir(live.workdir / "images") == []
    assert uploading_count(live) == before

    data = os.urandom(3 * MiB + 5)
    response = upload_whole(live, image_id, data)
    assert response.status == 204, response.data
    shown = get_json(live, f"/v2/images/{image_id}")
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()


def test_a_stage_killed_mid_way_is_queued_again_and_a_retry_works(live):
    image_id = live.create_image()
    before = uploading_count(live)
    live.start_worker()
    killed_at = kill_gunicorn_worker_mid_write(live, image_id, "stage", "uploading")
    wait_for_gunicorn(live)
    wait_for(lambda: get_json(live, f"/v2/images/{image_id}")["status"] == "queued", timeout=30)
    recovered = time.monotonic() - killed_at
    print(f"stage recovered {recovered:.1f} s after the SIGKILL")
    assert recovered < LEASE + SWEEP + 2
    assert list((live.workdir / "staging").glob("*")) == []
    assert uploading_count(live) == before

    response = upload_whole(live, image_id, b"\x5a" * MiB, route="stage")
    assert response.status == 204, response.data
    assert get_json(live, f"/v2/images/{image_id}")["status"] == "uploading"


def image_status(live, image_id) -> str:
    """Read from the database (for when gunicorn is down)."""
    code = f"from catalog.models import Image; print(Image.objects.get(pk='{image_id}').status)"
    return live.manage("shell", "-c", code).strip().splitlines()[-1]


def test_gunicorn_stopped_mid_upload_leaves_the_image_recoverable(live):
    image_id = live.create_image()
    live.start_worker()
    conn = start_partial_upload(live, f"/v2/images/{image_id}/file", 64 * MiB, 8 * MiB)
    wait_for(lambda: get_json(live, f"/v2/images/{image_id}")["status"] == "saving")
    live.process.send_signal(signal.SIGTERM)  # a deploy: the upload outlives the grace
    live.process.wait(15)
    conn.close()
    wait_for(lambda: image_status(live, image_id) == "queued", timeout=30, step=0.5)
    assert os.listdir(live.workdir / "images") == []
