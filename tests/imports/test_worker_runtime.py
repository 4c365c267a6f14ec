"""The worker's runtime with real processes: imports of different projects run side by side,
a dripping origin fails its own task by the deadline, SIGTERM hands a running import back to
the queue, and two replacement workers never both take over one dead import."""

import hashlib
import http.server
import json
import signal
import threading
import time

import pytest

from tests.livesrv import (
    LiveServer,
    drop_live_database,
    gunicorn_available,
    live_database_env,
    serve_bytes,
)

from .conftest import STALLED_PAYLOAD as PAYLOAD
from .test_worker_restart import image_state, start_worker, wait_for

pytestmark = pytest.mark.skipif(not gunicorn_available(), reason="gunicorn is not installed")


class DrippingHandler(http.server.BaseHTTPRequestHandler):
    """Announces 1 MiB and sends one byte a second."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(1024 * 1024))
        self.end_headers()
        try:
            for _ in range(120):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass


@pytest.fixture
def dripping_origin():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DrippingHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slow"
    server.shutdown()


@pytest.fixture
def live(tmp_path):
    database = live_database_env(tmp_path.name)
    env = {
        **database,
        "CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
        "CATALOG_IMPORT_ALLOWED_PORTS": "",
        "CATALOG_LEASE_TIMEOUT": "2",
        "CATALOG_RECOVERY_INTERVAL": "1",
        "CATALOG_IMPORT_DEADLINE": "5",
        "CATALOG_IMPORT_MIN_RATE": "0",
        "CATALOG_WORKER_SHUTDOWN_GRACE": "1",
        "CATALOG_STAGING_DIR": str(tmp_path / "live" / "staging"),
    }
    server = LiveServer(tmp_path / "live", extra_env=env).start()
    server.workers = []
    yield server
    for worker in server.workers:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    server.stop()
    drop_live_database(database)


def web_download(live, image_id, uri, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    body = json.dumps({"method": {"name": "web-download", "uri": uri}})
    response = live.request("POST", f"/v2/images/{image_id}/import", body, headers)
    assert response.status == 202, response.data
    return time.monotonic()


def finished_task(live, image_id, token=None):
    headers = {"X-Auth-Token": token} if token else None
    tasks = json.loads(live.request("GET", f"/v2/images/{image_id}/tasks", None, headers).data)
    task = tasks["tasks"][0]
    return task if task["status"] in ("success", "failure") else None


def test_a_dripping_origin_fails_its_own_task_and_another_project_is_not_kept_waiting(
    live, dripping_origin
):
    live.add_people([("bea", "pw-bea", "other", "member")])
    bea = live.password_token("bea", "pw-bea", "other")
    slow_image = live.create_image()
    fast_image = json.loads(
        live.request(
            "POST",
            "/v2/images",
            json.dumps({"disk_format": "raw", "container_format": "bare"}),
            {"Content-Type": "application/json", "X-Auth-Token": bea},
        ).data
    )["id"]
    live.workers.append(start_worker(live))
    slow_started = web_download(live, slow_image, dripping_origin)
    time.sleep(1)
    url, origin = serve_bytes(PAYLOAD)
    try:
        fast_started = web_download(live, fast_image, url, token=bea)
        fast = wait_for(lambda: finished_task(live, fast_image, bea), timeout=30)
        fast_took = time.monotonic() - fast_started
    finally:
        origin.shutdown()
    slow = wait_for(lambda: finished_task(live, slow_image), timeout=30)
    slow_took = time.monotonic() - slow_started
    print(f"other project's import: {fast_took:.1f} s; dripping one failed after {slow_took:.1f} s")
    assert fast["status"] == "success", fast["message"]
    assert fast_took < 4  # while the dripping import still runs (it fails at 5 s)
    assert slow["status"] == "failure"
    assert "did not finish within 5 s" in slow["message"]
    assert slow_took < 5 + 6  # the deadline, plus the worker's start and a poll
    image, _ = image_state(live, slow_image)
    assert image["status"] == "queued" and "os_glance_import_task" not in image


def test_sigterm_hands_a_running_import_back_and_the_next_worker_completes_it(
    live, stalling_server
):
    image_id = live.create_image()
    port = stalling_server.server_address[1]
    web_download(live, image_id, f"http://127.0.0.1:{port}/x")
    first = start_worker(live)
    live.workers.append(first)
    assert stalling_server.first_bytes_sent.wait(60)
    first.send_signal(signal.SIGTERM)
    assert first.wait(10) == 0  # within the 1 s grace, then handed back
    _, tasks = image_state(live, image_id)
    assert tasks[0]["status"] == "pending", tasks[0]
    assert "Handed back" in tasks[0]["message"]

    live.workers.append(start_worker(live))
    task = wait_for(lambda: finished_task(live, image_id), timeout=30)
    assert task["status"] == "success", task["message"]
    image, _ = image_state(live, image_id)
    assert image["status"] == "active"
    assert image["checksum"] == hashlib.md5(PAYLOAD).hexdigest()
    assert stalling_server.requests == 2


def test_two_replacement_workers_take_a_dead_import_over_once(live, stalling_server):
    image_id = live.create_image()
    port = stalling_server.server_address[1]
    web_download(live, image_id, f"http://127.0.0.1:{port}/x")
    first = start_worker(live)
    live.workers.append(first)
    assert stalling_server.first_bytes_sent.wait(60)
    first.send_signal(signal.SIGKILL)
    first.wait()
    live.workers += [start_worker(live), start_worker(live)]  # both sweep, both take jobs
    task = wait_for(lambda: finished_task(live, image_id), timeout=30)
    assert task["status"] == "success", task["message"]
    time.sleep(3)  # a second takeover would show as a third download
    assert stalling_server.requests == 2
