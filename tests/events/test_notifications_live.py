"""A broker outage against a live server and a real worker (slow group): uploads succeed at
their usual latency while the notification URL points at a closed port; once a worker runs
with the real broker, every event arrives, once, with the message id it got when it
happened."""

import json
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from tests.events.test_notifications import broker_up
from tests.livesrv import ROOT, LiveServer, gunicorn_available

pytestmark = [
    pytest.mark.skipif(not broker_up(), reason="no RabbitMQ on 127.0.0.1:5672"),
    pytest.mark.skipif(not gunicorn_available(), reason="gunicorn is not installed"),
]
BROKER = "rabbit://guest:guest@127.0.0.1:5672/"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker(server: LiveServer, url: str) -> subprocess.Popen:
    env = {**server.env, "CATALOG_NOTIFICATIONS_URL": url, "CATALOG_EVENTS_DELIVERY_INTERVAL": "1"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.3"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def outbox(server: LiveServer) -> list[tuple]:
    with sqlite3.connect(server.workdir / "live.sqlite3") as db:
        return db.execute(
            "SELECT message_id, attempts FROM catalog_outboxmessage ORDER BY id"
        ).fetchall()


def uploads(server: LiveServer, count: int) -> list[float]:
    took = []
    for n in range(count):
        image_id = server.create_image(name=f"outage-{n}")
        start = time.perf_counter()
        response = server.request(
            "PUT",
            f"/v2/images/{image_id}/file",
            b"o" * 65536,
            {"Content-Type": "application/octet-stream"},
        )
        took.append(time.perf_counter() - start)
        assert response.status == 204, response.data
    return took


def test_outage_then_recovery(tmp_path):
    down = f"rabbit://guest:guest@127.0.0.1:{closed_port()}/"
    server = LiveServer(tmp_path / "live", extra_env={"CATALOG_NOTIFICATIONS_URL": down})
    exchange = Exchange("glance", type="topic", durable=False, auto_delete=False)
    queue = Queue(f"vitrine-test-{uuid.uuid4().hex[:12]}", exchange, routing_key="notifications.*")
    with server, Connection("amqp://guest:guest@127.0.0.1:5672//") as amqp:
        bound = queue(amqp.channel())
        bound.declare()
        try:
            baseline = uploads(server, 3)  # no worker yet: nothing tries the broker
            failing = worker(server, down)
            try:
                during = uploads(server, 5)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:  # until the worker has tried (and failed)
                    if any(attempts > 0 for _, attempts in outbox(server)):
                        break
                    time.sleep(0.3)
            finally:
                stop(failing)
            waiting = outbox(server)
            assert len(waiting) == 8 * 6  # create, update, prepare, upload, activate, update
            assert any(attempts > 0 for _, attempts in waiting)

            recovering = worker(server, BROKER)
            try:
                received, deadline = [], time.monotonic() + 60
                while len(received) < len(waiting) and time.monotonic() < deadline:
                    message = bound.get(no_ack=True)
                    if message is None:
                        time.sleep(0.1)
                        continue
                    received.append(json.loads(json.loads(message.body)["oslo.message"]))
                time.sleep(2)
                while (extra := bound.get(no_ack=True)) is not None:
                    received.append(json.loads(json.loads(extra.body)["oslo.message"]))
            finally:
                stop(recovering)
            assert [m["message_id"] for m in received] == [mid for mid, _ in waiting]
            assert outbox(server) == []
            print(
                f"upload median {statistics.median(baseline) * 1000:.1f} ms before, "
                f"{statistics.median(during) * 1000:.1f} ms with the broker down"
            )
        finally:
            bound.delete()
            for name in ("notifications.info", "notifications.error"):
                try:
                    Queue(name, exchange, routing_key=name, durable=False)(amqp.channel()).purge()
                except Exception:
                    pass
