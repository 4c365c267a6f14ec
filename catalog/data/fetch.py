"""Fetching an external image for web-download, safely.

Every URL (the first and each redirect target) passes ``urlsafety.check_url``; the connection
goes to the addresses that check resolved (never to a fresh DNS answer), TLS is verified
against the URL's host name, the body is read in chunks and cut off at the size cap, and a
body shorter than its Content-Length is an error rather than a silently truncated image.
``RateGuard`` bounds how long a download may take and how slowly its origin may send.
"""

import http.client
import socket
import ssl
import time
from collections import deque
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit, urlunsplit

from catalog.data import urlsafety
from catalog.data.urlsafety import CheckedURL, FetchPolicy

REDIRECT_CODES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
CHUNK_SIZE = 1024 * 1024
USER_AGENT = "Vitrine-web-download/1"


def shown(url: str) -> str:
    """A URL as messages and task records show it: without its query string, which may carry
    credentials (pre-signed URLs)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, "", ""))


class FetchError(Exception):
    """The download failed; the message is meant for the task record and the user."""


class DownloadTooLarge(FetchError):
    pass


def _connect_pinned(addresses, port: int, timeout: float) -> socket.socket:
    last_error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last_error = exc
    raise last_error or OSError("no address to connect to")


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, checked: CheckedURL, timeout: float):
        super().__init__(checked.host, checked.port, timeout=timeout)
        self.pinned = checked.addresses

    def connect(self):
        self.sock = _connect_pinned(self.pinned, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, checked: CheckedURL, timeout: float, context: ssl.SSLContext | None = None):
        super().__init__(checked.host, checked.port, timeout=timeout, context=context)
        self.pinned = checked.addresses

    def connect(self):
        sock = _connect_pinned(self.pinned, self.port, self.timeout)
        # Certificate checked against the URL's host name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class TooSlow(FetchError):
    """The origin sends too slowly (under the minimum rate), or past the deadline."""


class RateGuard:
    """Fails a download that outlives ``deadline`` seconds, or that, once ``window`` seconds
    have passed, received less than ``min_rate`` bytes a second over the last ``window``
    seconds: an origin that drips fails its own import instead of holding a worker for
    hours."""

    def __init__(
        self, url: str, *, deadline: float, min_rate: int, window: float, clock=time.monotonic
    ):
        self.url, self.deadline, self.min_rate, self.window = url, deadline, min_rate, window
        self.clock = clock
        self.start = clock()
        self.total = 0
        self.samples: deque[tuple[float, int]] = deque([(self.start, 0)])

    def check(self, received: int) -> None:
        now = self.clock()
        self.total += received
        elapsed = now - self.start
        if elapsed > self.deadline:
            raise TooSlow(
                f"The download of {shown(self.url)} did not finish within {self.deadline:g} s "
                f"({self.total} bytes received)."
            )
        self.samples.append((now, self.total))
        # Keep the newest sample at or before the window's start, and those after it.
        while len(self.samples) > 1 and self.samples[1][0] <= now - self.window:
            self.samples.popleft()
        if elapsed >= self.window and self.min_rate:
            sent = self.total - self.samples[0][1]
            if sent < self.min_rate * self.window:
                raise TooSlow(
                    f"{shown(self.url)} sent {sent} bytes in the last {self.window:g} s, under "
                    f"the minimum of {self.min_rate} bytes/s."
                )

    def wrap(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.check(len(chunk))
            yield chunk


class Download:
    """An open HTTP response whose body is read with ``chunks()``."""

    def __init__(self, connection, response, checked: CheckedURL, max_bytes: int | None):
        self.connection = connection
        self.response = response
        self.url = checked.url
        self.max_bytes = max_bytes
        length = response.getheader("Content-Length")
        self.content_length = int(length) if length and length.isdigit() else None
        if (
            max_bytes is not None
            and self.content_length is not None
            and self.content_length > max_bytes
        ):
            self.close()
            raise DownloadTooLarge(
                f"The image at {shown(self.url)} is {self.content_length} bytes, over the limit of "
                f"{max_bytes} bytes."
            )

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        received = 0
        try:
            while True:
                try:
                    # read1: what has arrived (at most ``size``), so that a slow origin's
                    # bytes reach the rate guard as they come.
                    chunk = self.response.read1(size)
                except (OSError, http.client.HTTPException) as exc:
                    raise FetchError(
                        f"Reading {shown(self.url)} failed after {received} bytes: {exc}"
                    ) from exc
                if not chunk:
                    break
                received += len(chunk)
                if self.max_bytes is not None and received > self.max_bytes:
                    raise DownloadTooLarge(
                        f"The image at {shown(self.url)} is over the limit of {self.max_bytes} bytes."
                    )
                yield chunk
        finally:
            self.close()
        if self.content_length is not None and received != self.content_length:
            raise FetchError(
                f"The download of {shown(self.url)} ended after {received} of {self.content_length} bytes."
            )

    def close(self):
        self.connection.close()


def _request(
    checked: CheckedURL, timeout: float, context, headers: dict | None = None, method: str = "GET"
):
    if checked.scheme == "https":
        connection = PinnedHTTPSConnection(checked, timeout, context)
    else:
        connection = PinnedHTTPConnection(checked, timeout)
    try:
        connection.request(
            method,
            checked.target,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})},
        )
        return connection, connection.getresponse()
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        connection.close()
        raise FetchError(f"Could not fetch {shown(checked.url)}: {exc}") from exc


def open_url(
    url: str,
    *,
    max_bytes: int | None,
    timeout: float = 30.0,
    policy: FetchPolicy | None = None,
    resolver=urlsafety.system_resolver,
    ssl_context: ssl.SSLContext | None = None,
    headers: dict | None = None,
    method: str = "GET",
    accept: tuple[int, ...] = (200,),
) -> Download:
    """Open ``url`` for reading, following up to five redirects, each one re-checked.

    ``headers`` (credentials) go only to the origin of ``url``, never to a redirect target
    elsewhere. ``method`` HEAD learns the size of a remote image (the http store); ``accept``
    lists the statuses that are an answer (206 for a ranged read)."""
    policy = policy or FetchPolicy.from_settings()
    current = url
    origin = None
    for _ in range(MAX_REDIRECTS + 1):
        checked = urlsafety.check_url(current, policy, resolver)
        here = (checked.scheme, checked.host, checked.port)
        origin = origin or here
        sent = headers if here == origin else None
        connection, response = _request(checked, timeout, ssl_context, sent, method)
        if response.status in REDIRECT_CODES:
            location = response.getheader("Location")
            connection.close()
            if not location:
                raise FetchError(f"{shown(current)} redirects without a Location.")
            current = urljoin(current, location)
            continue
        if response.status not in accept:
            connection.close()
            raise FetchError(f"{shown(current)} answered {response.status} {response.reason}.")
        return Download(connection, response, checked, max_bytes)
    raise FetchError(f"{shown(url)} redirects more than {MAX_REDIRECTS} times.")
