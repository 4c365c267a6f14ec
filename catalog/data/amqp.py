"""Publishing notification bodies to an AMQP broker (RabbitMQ) with kombu, the client
oslo.messaging itself uses: the exchange and routing keys Glance's messagingv2 driver uses,
the same message properties, and publisher confirms, so that a message counts as sent only
once the broker has it."""

import logging
from urllib.parse import urlsplit, urlunsplit

from kombu import Connection, Exchange, Producer, Queue

logger = logging.getLogger(__name__)


class PublishError(Exception):
    """The broker could not take every message; ``sent`` were taken before the failure."""

    def __init__(self, sent: int, reason: str):
        super().__init__(reason)
        self.sent = sent


def broker_url(url: str) -> str:
    """oslo.messaging's ``rabbit://`` transport URL in kombu's spelling (``amqp://``)."""
    parts = urlsplit(url)
    scheme = "amqp" if parts.scheme in ("rabbit", "amqp", "") else parts.scheme
    return urlunsplit((scheme, *parts[1:]))


def shown(url: str) -> str:
    """The URL without its password, for logs and the admin."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, *parts[2:]))


def publish(url: str, exchange_name: str, messages, *, timeout: float = 5.0) -> int:
    """Publish ``(routing_key, body)`` pairs in order; return how many were sent, or raise
    ``PublishError`` saying how many the broker took before it failed."""
    sent = 0
    exchange = Exchange(exchange_name, type="topic", durable=False, auto_delete=False)
    declared: set[str] = set()
    try:
        with Connection(
            broker_url(url),
            connect_timeout=timeout,
            transport_options={"confirm_publish": True},
        ) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
            channel = connection.channel()
            producer = Producer(channel, exchange=exchange)
            exchange.declare(channel=channel)
            for routing_key, body in messages:
                if routing_key not in declared:
                    _declare_pile(connection, exchange, routing_key)
                    declared.add(routing_key)
                producer.publish(
                    body,
                    routing_key=routing_key,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    priority=0,
                    serializer=None,
                    retry=False,
                )
                sent += 1
    except Exception as exc:  # kombu and the socket raise many kinds; all mean "retry later"
        raise PublishError(sent, f"{type(exc).__name__}: {exc}") from exc
    return sent


def _declare_pile(connection, exchange, routing_key: str) -> None:
    """As Glance's driver does, a queue named after the routing key, so that notifications
    wait there while nobody consumes. Best effort on a channel of its own: a queue declared
    earlier with other arguments must not stop publishing."""
    channel = connection.channel()
    try:
        Queue(routing_key, exchange, routing_key=routing_key, durable=False)(channel).declare()
    except Exception as exc:
        logger.warning("Could not declare the queue %s: %s", routing_key, exc)
    finally:
        try:
            channel.close()
        except Exception:
            pass
