"""Webhooks against a local receiver: signed deliveries, retries after a 500, the
web-download URL rules, and a project hearing only about what it may see."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from catalog.data import webhooks
from catalog.models import WebhookDelivery
from catalog.services import event_delivery
from tests.conftest import assert_status


class Receiver:
    def __init__(self):
        self.statuses = []  # what to answer, in order (then 200)
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def loopback_allowed(settings):
    settings.CATALOG_IMPORT_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_IMPORT_ALLOWED_PORTS = []


def due_now():
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at="2000-01-01T00:00Z")


def test_signed_delivery_retried_after_500(alice, receiver, loopback_allowed, commits):
    created = assert_status(
        alice.post(
            "/v2/x-vitrine/webhooks", {"url": receiver.url, "event_types": ["image.create"]}
        ),
        201,
    ).json()
    secret = created["secret"]
    receiver.statuses = [500]
    image = commits(alice.create_image, name="hooked")
    commits(alice.patch, f"/v2/images/{image['id']}", [{"op": "add", "path": "/a", "value": "b"}])
    assert WebhookDelivery.objects.count() == 1  # only image.create was asked for

    assert event_delivery.deliver_webhooks() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert event_delivery.deliver_webhooks() == 0  # backing off

    due_now()
    assert event_delivery.deliver_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert len(receiver.received) == 2
    for headers, body in receiver.received:
        assert webhooks.verify(secret, headers["X-Vitrine-Signature"], body)
        assert not webhooks.verify("wrong", headers["X-Vitrine-Signature"], body)
        assert not webhooks.verify(secret, headers["X-Vitrine-Signature"], body + b" ")
        assert headers["X-Vitrine-Delivery"] == str(delivery.pk)
        event = json.loads(body)
        assert event["event_type"] == "image.create" and event["target_id"] == image["id"]
    # An old signature is refused (replay).
    headers, body = receiver.received[0]
    stamp = int(headers["X-Vitrine-Signature"].split(",")[0][2:])
    assert not webhooks.verify(secret, headers["X-Vitrine-Signature"], body, now=stamp + 3600)


def test_gives_up_after_max_attempts(alice, receiver, loopback_allowed, commits, settings):
    settings.CATALOG_WEBHOOK_MAX_ATTEMPTS = 2
    assert_status(alice.post("/v2/x-vitrine/webhooks", {"url": receiver.url}), 201)
    receiver.statuses = [503, 503, 503]
    commits(alice.create_image, name="x")
    event_delivery.deliver_webhooks()
    due_now()
    event_delivery.deliver_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_loopback_url_refused_unless_allowed(alice, receiver, commits, settings):
    response = alice.post("/v2/x-vitrine/webhooks", {"url": receiver.url})
    assert_status(response, 400)
    assert "127.0.0.1" in response.json()["error"]["message"]
    # Allowed when subscribing, disallowed since: the delivery is refused, nothing is sent.
    settings.CATALOG_IMPORT_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_IMPORT_ALLOWED_PORTS = []
    assert_status(alice.post("/v2/x-vitrine/webhooks", {"url": receiver.url}), 201)
    settings.CATALOG_IMPORT_ALLOWED_HOSTS = []
    commits(alice.create_image, name="x")
    event_delivery.deliver_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and "127.0.0.1" in delivery.last_error
    assert receiver.received == []


def test_member_never_hears_about_another_projects_private_image(
    alice, bob, admin, receiver, loopback_allowed, commits
):
    assert_status(bob.post("/v2/x-vitrine/webhooks", {"url": receiver.url}), 201)
    assert_status(
        admin.post("/v2/x-vitrine/webhooks", {"url": receiver.url, "catalog_wide": True}), 201
    )
    assert_status(
        bob.post("/v2/x-vitrine/webhooks", {"url": receiver.url, "catalog_wide": True}), 403
    )
    image = commits(alice.create_image, name="secret", visibility="private")
    commits(alice.patch, f"/v2/images/{image['id']}", [{"op": "add", "path": "/a", "value": "b"}])
    commits(alice.delete, f"/v2/images/{image['id']}")
    own = commits(bob.create_image, name="bob's")
    by_subscriber = {}
    for d in WebhookDelivery.objects.select_related("subscription", "record"):
        by_subscriber.setdefault(d.subscription.project_id, set()).add(d.record.target_id)
    assert by_subscriber[bob.project_id] == {own["id"]}
    assert by_subscriber[""] == {image["id"], own["id"]}
    event_delivery.deliver_webhooks()
    sent = [json.loads(b)["target_id"] for _, b in receiver.received]
    assert sent.count(image["id"]) == 3  # the admin's three, none of bob's


def test_subscriptions_listed_per_project_and_removed(alice, bob, receiver, loopback_allowed):
    made = alice.post("/v2/x-vitrine/webhooks", {"url": receiver.url}).json()
    assert "secret" not in alice.get("/v2/x-vitrine/webhooks").json()["webhooks"][0]
    assert bob.get("/v2/x-vitrine/webhooks").json()["webhooks"] == []
    assert_status(bob.delete(f"/v2/x-vitrine/webhooks/{made['id']}"), 403)
    assert_status(alice.delete(f"/v2/x-vitrine/webhooks/{made['id']}"), 204)
    assert alice.get("/v2/x-vitrine/webhooks").json()["webhooks"] == []


def test_bad_input_is_a_400_never_a_500(alice, receiver, loopback_allowed):
    long_url = receiver.url + "?" + "a" * 2100
    assert_status(alice.post("/v2/x-vitrine/webhooks", {"url": long_url}), 400)
    assert_status(alice.post("/v2/x-vitrine/webhooks", {"url": 5}), 400)
    assert_status(
        alice.post("/v2/x-vitrine/webhooks", {"url": receiver.url, "event_types": "x"}), 400
    )
    assert_status(alice.post("/v2/x-vitrine/webhooks", []), 400)
    assert_status(alice.delete("/v2/x-vitrine/webhooks/abc"), 403)
    assert_status(alice.delete("/v2/x-vitrine/webhooks/99999999999999999999999"), 403)
    assert_status(alice.get("/v2/x-vitrine/events", since="2020-13-45T00:00:00"), 400)


def test_a_reader_cannot_subscribe(carol, receiver, loopback_allowed):
    assert_status(carol.post("/v2/x-vitrine/webhooks", {"url": receiver.url}), 403)
    assert_status(carol.get("/v2/x-vitrine/webhooks"), 403)
