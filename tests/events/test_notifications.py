"""Glance-compatible notifications on the machine's RabbitMQ: a plain AMQP consumer bound to
the ``glance`` exchange compares what Vitrine publishes with the captured Glance messages
(../shared/spec/transcripts-wave2/notify-*.json, copied as tests/events/samples.json)."""

import json
import socket
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from catalog.models import OutboxMessage
from catalog.services import event_delivery
from tests.conftest import assert_status

BROKER = "rabbit://guest:guest@127.0.0.1:5672/"
SAMPLES = json.loads((Path(__file__).parent / "samples.json").read_text())


def broker_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not broker_up(), reason="no RabbitMQ on 127.0.0.1:5672")


@pytest.fixture
def consumer(settings):
    """A queue of this test's own, bound to the glance exchange for every notification."""
    settings.CATALOG_NOTIFICATIONS_URL = BROKER
    exchange = Exchange("glance", type="topic", durable=False, auto_delete=False)
    queue = Queue(f"vitrine-test-{uuid.uuid4().hex[:12]}", exchange, routing_key="notifications.*")
    with Connection("amqp://guest:guest@127.0.0.1:5672//") as connection:
        channel = connection.channel()
        bound = queue(channel)
        bound.declare()

        def receive(expected: int, wait: float = 10.0) -> list:
            got, deadline = [], time.monotonic() + wait
            while len(got) < expected and time.monotonic() < deadline:
                message = bound.get(no_ack=True)
                if message is None:
                    time.sleep(0.05)
                    continue
                got.append(message)
            time.sleep(0.2)  # anything beyond the expected count is a duplicate
            while (extra := bound.get(no_ack=True)) is not None:
                got.append(extra)
            return got

        yield receive
        bound.delete()
        # Glance's driver declares notifications.<priority> queues; keep them from filling up.
        for name in ("notifications.info", "notifications.error"):
            try:
                Queue(name, exchange, routing_key=name, durable=False)(connection.channel()).purge()
            except Exception:
                pass


def decoded(message):
    body = json.loads(message.body)
    return body, json.loads(body["oslo.message"])


def test_create_upload_download_share_delete_match_glance(alice, bob, commits, consumer):
    image = commits(alice.create_image, name="n", disk_format="raw", container_format="bare")
    image_id = image["id"]
    put = commits(
        alice.request,
        "put",
        f"/v2/images/{image_id}/file",
        raw=b"z" * 1024,
        content_type="application/octet-stream",
    )
    assert_status(put, 204)
    assert_status(
        commits(alice.post, f"/v2/images/{image_id}/members", {"member": bob.project_id}), 200
    )
    assert_status(
        commits(bob.put, f"/v2/images/{image_id}/members/{bob.project_id}", {"status": "accepted"}),
        200,
    )

    def download():
        response = assert_status(bob.get(f"/v2/images/{image_id}/file"), 200)
        return b"".join(response.streaming_content)

    assert commits(download) == b"z" * 1024
    assert_status(commits(alice.delete, f"/v2/images/{image_id}"), 204)

    outbox = list(OutboxMessage.objects.order_by("id").values_list("message_id", flat=True))
    assert event_delivery.publish_outbox() == len(outbox)
    messages = consumer(len(outbox))
    order = []
    for message in messages:
        body, envelope = decoded(message)
        sample = SAMPLES[envelope["event_type"]]
        assert message.delivery_info["exchange"] == "glance"
        assert message.delivery_info["routing_key"] == sample["routing_key"]
        assert message.content_type == "application/json"
        assert message.content_encoding == "utf-8"
        assert message.properties["delivery_mode"] == 2
        assert list(body) == ["oslo.version", "oslo.message"] and body["oslo.version"] == "2.0"
        assert sorted(envelope) == sorted(sample["envelope_keys"])
        assert envelope["publisher_id"] == "image.localhost"
        assert sorted(envelope["payload"]) == sorted(sample["payload_keys"]), envelope["event_type"]
        order.append(envelope["event_type"])
    assert [decoded(m)[1]["message_id"] for m in messages] == outbox
    assert order == [
        "image.create",
        "image.update",
        "image.prepare",
        "image.upload",
        "image.activate",
        "image.update",
        "image.member.create",
        "image.member.update",
        "image.send",
        "image.delete",
    ]
    payloads = {decoded(m)[1]["event_type"]: decoded(m)[1]["payload"] for m in messages}
    assert payloads["image.create"]["status"] == "queued"
    assert payloads["image.create"]["is_public"] is False
    assert payloads["image.upload"]["checksum"] and payloads["image.upload"]["status"] == "active"
    assert payloads["image.send"] == {
        "bytes_sent": 1024,
        "image_id": image_id,
        "owner_id": alice.project_id,
        "receiver_tenant_id": bob.project_id,
        "receiver_user_id": payloads["image.send"]["receiver_user_id"],
    }
    assert payloads["image.send"]["receiver_user_id"]
    assert payloads["image.member.update"]["status"] == "accepted"
    assert payloads["image.delete"]["deleted"] is True
    assert payloads["image.delete"]["status"] == "deleted"


def test_broker_outage_loses_nothing_and_keeps_ids(alice, commits, consumer, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CATALOG_NOTIFICATIONS_URL = f"rabbit://guest:guest@127.0.0.1:{closed}/"
    started = time.monotonic()
    for n in range(3):
        image = commits(
            alice.create_image, name=f"outage-{n}", disk_format="raw", container_format="bare"
        )
        put = commits(
            alice.request,
            "put",
            f"/v2/images/{image['id']}/file",
            raw=b"q" * 4096,
            content_type="application/octet-stream",
        )
        assert_status(put, 204)
    requests_took = time.monotonic() - started
    waiting = list(OutboxMessage.objects.order_by("id").values_list("message_id", "body"))
    assert len(waiting) == 3 * 6

    assert event_delivery.publish_outbox() == 0  # the broker is down: nothing lost
    assert OutboxMessage.objects.filter(attempts=1).count() == len(waiting)
    assert (
        "Error" in OutboxMessage.objects.first().last_error
        or OutboxMessage.objects.first().last_error
    )

    settings.CATALOG_NOTIFICATIONS_URL = BROKER
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.first().created_at)
    assert event_delivery.publish_outbox() == len(waiting)
    assert not OutboxMessage.objects.exists()
    received = consumer(len(waiting))
    # The same bodies (ids and timestamps fixed when the events happened), once each.
    assert [m.body.decode() if isinstance(m.body, bytes) else m.body for m in received] == [
        body for _, body in waiting
    ]
    ids = [decoded(m)[1]["message_id"] for m in received]
    assert ids == [message_id for message_id, _ in waiting]
    print(f"3 creates + uploads with the broker down took {requests_took:.3f} s")
