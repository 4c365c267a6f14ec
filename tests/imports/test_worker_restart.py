"""A worker killed in the middle of an import, and a new worker started at once: the import is
resumed (or, out of attempts, failed cleanly) within a lease timeout and a sweep, and the image
never stays locked. Real processes: gunicorn, two successive `manage.py run_worker`s, and an
HTTP server that stalls the first download."""

import hashlib
import json
import signal
import subprocess
import sys
import time

import pytest

from tests.imports.conftest import STALLED_PAYLOAD as PAYLOAD
from tests.livesrv import (
    ROOT,
    LiveServer,
    drop_live_database,
    gunicorn_available,
    live_database_env,
)

pytestmark = pytest.mark.skipif(not gunicorn_available(), reason="gunicorn is not installed")


def start_worker(live: LiveServer) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
        cwd=ROOT,
        env=live.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def image_state(live, image_id):
    # Tasks first: the worker commits a task's end and the image's status together, so an
    # image read after a finished task is final (read before, it could still be importing).
    tasks = json.loads(live.request("GET", f"/v2/images/{image_id}/tasks").data)["tasks"]
    image = json.loads(live.request("GET", f"/v2/images/{image_id}").data)
    return image, tasks


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def run_killed_import(tmp_path, stalling_server, max_attempts):
    port = stalling_server.server_address[1]
    database = live_database_env(tmp_path.name)  # PostgreSQL when the suite runs on it
    env = {
        **database,
        "CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
        "CATALOG_IMPORT_ALLOWED_PORTS": "",
        "CATALOG_LEASE_TIMEOUT": "2",
        "CATALOG_RECOVERY_INTERVAL": "1",
        "CATALOG_IMPORT_MAX_ATTEMPTS": str(max_attempts),
        "CATALOG_STAGING_DIR": str(tmp_path / "live" / "staging"),
    }
    live = LiveServer(tmp_path / "live", extra_env=env).start()
    workers = []
    try:
        image_id = live.create_image()
        body = json.dumps({"method": {"name": "web-download", "uri": f"http://127.0.0.1:{port}/x"}})
        response = live.request(
            "POST", f"/v2/images/{image_id}/import", body, {"Content-Type": "application/json"}
        )
        assert response.status == 202, response.data
        workers.append(start_worker(live))
        assert stalling_server.first_bytes_sent.wait(60), "the worker never started the download"
        workers[0].send_signal(signal.SIGKILL)  # dies mid-download, no cleanup at all
        workers[0].wait()
        image, tasks = image_state(live, image_id)
        assert image["status"] == "importing" and tasks[0]["status"] == "processing"
        assert image["os_glance_import_task"] == tasks[0]["id"]
        # The replacement starts at once (a supervisor's restart): it takes the import over
        # when the dead one's lease expires, by its periodic sweep, not by its start.
        workers.append(start_worker(live))
        killed_at = time.monotonic()

        def finished():
            image, tasks = image_state(live, image_id)
            return (image, tasks) if tasks[0]["status"] in ("success", "failure") else None

        image, tasks = wait_for(finished)
        # Within one lease timeout (2 s) and one sweep (1 s), plus the import itself.
        elapsed = time.monotonic() - killed_at
        print(f"import taken over and finished {elapsed:.1f} s after the kill")
        assert elapsed < 10
        return image, tasks
    finally:
        stalling_server.release.set()
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(10)
        live.stop()
        drop_live_database(database)


def test_an_interrupted_import_is_resumed_by_the_next_worker(tmp_path, stalling_server):
    image, tasks = run_killed_import(tmp_path, stalling_server, max_attempts=3)
    assert tasks[0]["status"] == "success", tasks[0]["message"]
    assert image["status"] == "active"
    assert image["checksum"] == hashlib.md5(PAYLOAD).hexdigest()
    assert "os_glance_import_task" not in image
    assert stalling_server.requests == 2


def test_an_interrupted_import_out_of_attempts_fails_cleanly(tmp_path, stalling_server):
    image, tasks = run_killed_import(tmp_path, stalling_server, max_attempts=1)
    assert tasks[0]["status"] == "failure"
    assert "interrupted" in tasks[0]["message"]
    assert image["status"] == "queued" and image["size"] is None
    assert "os_glance_import_task" not in image
    assert not list((tmp_path / "live" / "staging").glob("*"))
