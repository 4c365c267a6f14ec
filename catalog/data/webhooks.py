"""Sending one webhook delivery: a signed JSON POST to a URL that passes the web-download URL
rules (catalog.data.urlsafety), connecting to the addresses checked (no DNS re-pointing)."""

import hashlib
import hmac
import http.client
import ssl
import time

from catalog.data import urlsafety
from catalog.data.fetch import USER_AGENT, PinnedHTTPConnection, PinnedHTTPSConnection

SIGNATURE_HEADER = "X-Vitrine-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``: the receiver recomputes it
    with the subscription's secret and refuses old timestamps (replays)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now=None) -> bool:
    """What a receiver does (tests and the README example use it)."""
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def post(url: str, body: bytes, secret: str, headers: dict, *, timeout: float) -> int:
    """POST ``body``; the receiver's status code. Raises ``urlsafety.UnsafeURL`` for a URL
    the rules refuse and ``OSError``/``http.client.HTTPException`` when it cannot be sent."""
    checked = urlsafety.check_url(url)
    if checked.scheme == "https":
        connection = PinnedHTTPSConnection(checked, timeout, ssl.create_default_context())
    else:
        connection = PinnedHTTPConnection(checked, timeout)
    try:
        connection.request(
            "POST",
            checked.target,
            body=body,
            headers={
                "User-Agent": USER_AGENT,
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(secret, int(time.time()), body),
                **headers,
            },
        )
        response = connection.getresponse()
        response.read(65536)
        return response.status
    except ssl.SSLError as exc:
        raise http.client.HTTPException(str(exc)) from exc
    finally:
        connection.close()
