"""Fetching from a real HTTP server on 127.0.0.1: pinning, redirects, size caps."""

import hashlib
import http.server
import threading

import pytest

from catalog.data.fetch import DownloadTooLarge, FetchError, open_url
from catalog.data.urlsafety import FetchPolicy, UnsafeURL

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        routes = {
            "/image": lambda: self.send_body(PAYLOAD),
            "/redirect-ok": lambda: self.redirect("/image"),
            "/redirect-metadata": lambda: self.redirect("http://169.254.169.254/latest/meta-data"),
            "/redirect-decimal": lambda: self.redirect("http://2130706433/image"),
            "/redirect-loop": lambda: self.redirect("/redirect-loop"),
            "/short": lambda: self.send_body(PAYLOAD[:10], length=100),
            "/missing": lambda: self.send_error(404),
            "/host": lambda: self.send_body(self.headers["Host"].encode()),
            "/auth": lambda: self.send_body((self.headers["X-Auth-Token"] or "-").encode()),
            "/redirect-auth-elsewhere": lambda: self.redirect(
                f"http://mirror.test:{self.server.server_address[1]}/auth"
            ),
            "/redirect-auth-here": lambda: self.redirect("/auth"),
            "/no-length": self.send_without_length,
        }
        routes.get(self.path, lambda: self.send_error(404))()

    def send_body(self, body, length=None):
        self.send_response(200)
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_without_length(self):
        # HTTP/1.0 without Content-Length: the body ends when the connection closes.
        self.send_response(200)
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


# The test server is on loopback: open exactly that host, on any port.
OPEN = FetchPolicy(allowed_hosts=("127.0.0.1", "mirror.test"), allowed_ports=None)


def read_all(download):
    return b"".join(download.chunks(64 * 1024))


def test_download_streams_the_whole_body(server):
    download = open_url(f"{server}/image", max_bytes=None, policy=OPEN)
    assert download.content_length == len(PAYLOAD)
    assert hashlib.sha256(read_all(download)).digest() == hashlib.sha256(PAYLOAD).digest()


def test_loopback_is_refused_without_the_allow_list(server):
    with pytest.raises(UnsafeURL, match="port"):
        open_url(f"{server}/image", max_bytes=None)
    with pytest.raises(UnsafeURL, match="loopback"):
        open_url(f"{server}/image", max_bytes=None, policy=FetchPolicy(allowed_ports=None))


def test_connection_goes_to_the_checked_address_and_sends_the_name(server):
    port = server.rsplit(":", 1)[1]
    calls = []

    def resolver(host, port_):
        calls.append(host)
        # A rebinding resolver: answers differently once checked. Only one lookup happens.
        return ["127.0.0.1"] if len(calls) == 1 else ["169.254.169.254"]

    download = open_url(
        f"http://mirror.test:{port}/host", max_bytes=None, policy=OPEN, resolver=resolver
    )
    assert read_all(download) == f"mirror.test:{port}".encode()
    assert calls == ["mirror.test"]


def test_redirects_are_followed_and_each_target_rechecked(server):
    assert read_all(open_url(f"{server}/redirect-ok", max_bytes=None, policy=OPEN)) == PAYLOAD
    with pytest.raises(UnsafeURL, match="169.254.169.254"):
        open_url(f"{server}/redirect-metadata", max_bytes=None, policy=OPEN)
    with pytest.raises(UnsafeURL, match="numeric host"):
        open_url(f"{server}/redirect-decimal", max_bytes=None, policy=OPEN)
    with pytest.raises(FetchError, match="redirects more than 5 times"):
        open_url(f"{server}/redirect-loop", max_bytes=None, policy=OPEN)


def test_size_cap_refuses_a_declared_or_streamed_oversize_body(server):
    with pytest.raises(DownloadTooLarge, match="over the limit of 1000 bytes"):
        open_url(f"{server}/image", max_bytes=1000, policy=OPEN)


def test_size_cap_applies_while_streaming_without_content_length(server):
    download = open_url(f"{server}/no-length", max_bytes=300_000, policy=OPEN)
    assert download.content_length is None
    with pytest.raises(DownloadTooLarge, match="over the limit of 300000 bytes"):
        read_all(download)
    assert read_all(open_url(f"{server}/no-length", max_bytes=None, policy=OPEN)) == PAYLOAD


def test_truncated_body_and_error_statuses_fail(server):
    with pytest.raises(FetchError, match="ended after 10 of 100 bytes"):
        read_all(open_url(f"{server}/short", max_bytes=None, policy=OPEN))
    with pytest.raises(FetchError, match="answered 404"):
        open_url(f"{server}/missing", max_bytes=None, policy=OPEN)


def test_unreachable_server_is_a_fetch_error():
    with pytest.raises(FetchError, match="Could not fetch"):
        open_url("http://127.0.0.1:1/x", max_bytes=None, policy=OPEN, timeout=2)


def test_credentials_go_to_the_origin_only(server):
    port = server.rsplit(":", 1)[1]

    def resolver(host, port_):
        return ["127.0.0.1"]

    headers = {"X-Auth-Token": "secret"}
    same = open_url(f"{server}/redirect-auth-here", max_bytes=None, policy=OPEN, headers=headers)
    assert read_all(same) == b"secret"
    other = open_url(
        f"{server}/redirect-auth-elsewhere",
        max_bytes=None,
        policy=OPEN,
        headers=headers,
        resolver=resolver,
    )
    assert read_all(other) == b"-", f"the token leaked to mirror.test:{port}"


def test_messages_never_show_a_query_string(server):
    with pytest.raises(FetchError) as caught:
        open_url(f"{server}/missing?X-Amz-Signature=secret", max_bytes=None, policy=OPEN)
    assert "secret" not in str(caught.value) and "/missing" in str(caught.value)
