"""GET /healthcheck (as Glance's) and GET /healthcheck/ready (database, default store,
queue; a timeout each; 503, never 500, when a part does not answer)."""

import time

import pytest
from django.test import Client

from catalog.data.stores.base import StoreError
from catalog.data.stores.filesystem import FileStore
from catalog.reads import health, metrics
from tests.api.test_image_data import download, upload
from tests.conftest import assert_status


def test_healthcheck_answers_ok_without_a_token(anonymous):
    response = assert_status(anonymous.get("/healthcheck"), 200)
    assert response.content == b"OK" and response["Content-Type"].startswith("text/plain")
    assert_status(anonymous.request("HEAD", "/healthcheck"), 200)
    assert_status(anonymous.post("/healthcheck"), 405)


def test_a_disable_file_drains_the_node(anonymous, settings, tmp_path):
    flag = tmp_path / "drain"
    settings.CATALOG_HEALTHCHECK_DISABLE_FILE = str(flag)
    assert_status(anonymous.get("/healthcheck"), 200)
    flag.write_text("")
    response = assert_status(anonymous.get("/healthcheck"), 503)
    assert response.content == b"DISABLED BY FILE"
    assert_status(anonymous.get("/healthcheck/ready"), 503)


@pytest.mark.django_db(transaction=True)  # the probes run in threads of their own
def test_ready_when_database_store_and_queue_answer(anonymous):
    body = assert_status(anonymous.get("/healthcheck/ready"), 200).json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "store", "queue"}
    assert body["checks"]["store"]["store"] == "local"
    assert body["checks"]["queue"] == {**body["checks"]["queue"], "backend": "database"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db(transaction=True)
def test_a_failing_store_is_not_ready_and_names_no_secret(anonymous, monkeypatch):
    def broken(self):
        raise StoreError("http://secret-endpoint/ refused")

    monkeypatch.setattr(FileStore, "ping", broken)
    body = assert_status(anonymous.get("/healthcheck/ready"), 503).json()
    assert body["checks"]["store"] == {"ok": False, "error": "StoreError"}
    assert body["checks"]["database"]["ok"]
    assert "secret" not in str(body)


@pytest.mark.django_db(transaction=True)
def test_a_hanging_part_times_out_instead_of_hanging_the_probe(anonymous, settings, monkeypatch):
    settings.CATALOG_READINESS_TIMEOUT = 1
    monkeypatch.setitem(health.PROBES, "queue", lambda: time.sleep(3) or {})
    started = time.monotonic()
    body = assert_status(anonymous.get("/healthcheck/ready"), 503).json()
    assert time.monotonic() - started < 2.5
    assert body["checks"]["queue"]["ok"] is False and "1 s" in body["checks"]["queue"]["error"]


def test_metrics_are_off_by_default(anonymous):
    assert_status(anonymous.get("/metrics"), 404)


@pytest.mark.django_db(transaction=True)
def test_metrics_count_requests_bytes_and_the_queue(settings, alice):
    settings.CATALOG_METRICS = True
    alice.client = Client()  # a handler that loads the metrics middleware
    image = alice.create_image(disk_format="raw", container_format="bare")
    assert_status(upload(alice, image["id"], b"\x01" * 4096), 204)

    def value(text, name):
        lines = [line for line in text.splitlines() if line.startswith(name)]
        return sum(float(line.rsplit(" ", 1)[1]) for line in lines)

    before = assert_status(alice.get("/metrics"), 200).content.decode()
    assert_status(download(alice, image["id"]), 200)
    after = assert_status(alice.get("/metrics"), 200).content.decode()
    assert (
        value(after, 'vitrine_http_requests_total{method="GET",status="2xx"}')
        >= value(before, 'vitrine_http_requests_total{method="GET",status="2xx"}') + 2
    )
    assert value(after, "vitrine_http_sent_bytes_total") - value(
        before, "vitrine_http_sent_bytes_total"
    ) >= 4096 + len(before)
    assert value(after, "vitrine_http_received_bytes_total") >= 4096
    assert "vitrine_queue_depth 0.0" in after
    assert "vitrine_http_request_duration_seconds_bucket" in after


def test_recoveries_are_counted():
    before = metrics.RECOVERIES.labels(kind="uploads")._value.get()
    metrics.count_recoveries({"uploads": 2, "imports": 0})
    assert metrics.RECOVERIES.labels(kind="uploads")._value.get() == before + 2
