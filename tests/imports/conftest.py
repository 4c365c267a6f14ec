import http.server
import threading

import pytest
from django.core.management import call_command

from tests import livesrv
from tests.api.test_image_data import raw_image, upload  # noqa: F401 (shared helpers)


@pytest.fixture
def run_worker():
    """Run the real worker in-process until the queue is empty (the tests' worker)."""

    def run():
        call_command("run_worker", batch=True, verbosity=0)

    return run


PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class FileServer(http.server.BaseHTTPRequestHandler):
    """Serves /image.raw (PAYLOAD) and a few misbehaving routes on 127.0.0.1."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/image.raw":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        elif self.path == "/to-metadata":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def file_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FileServer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def open_loopback(settings):
    """Allow the local test server, as an operator would open a mirror."""
    settings.CATALOG_IMPORT_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_IMPORT_ALLOWED_PORTS = []


@pytest.fixture
def serve_bytes():
    """Serve given bytes at a loopback URL (for web-download tests); returns the URL."""
    servers = []

    def serve(data: bytes) -> str:
        url, httpd = livesrv.serve_bytes(data)
        servers.append(httpd)
        return url

    yield serve
    for httpd in servers:
        httpd.shutdown()


# --- An origin that stalls (workers killed mid-download) ---------------------------------------

STALLED_PAYLOAD = bytes(range(256)) * 16384  # 4 MiB


class StallingServer(http.server.ThreadingHTTPServer):
    """The first download sends 256 KiB then stalls until released; later ones are whole."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), StallingHandler)
        self.requests = 0
        self.first_bytes_sent = threading.Event()
        self.release = threading.Event()


class StallingHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests += 1
        first = self.server.requests == 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(STALLED_PAYLOAD)))
        self.end_headers()
        try:
            if first:
                self.wfile.write(STALLED_PAYLOAD[: 256 * 1024])
                self.wfile.flush()
                self.server.first_bytes_sent.set()
                self.server.release.wait(60)
                return
            self.wfile.write(STALLED_PAYLOAD)
        except OSError:
            pass


@pytest.fixture
def stalling_server():
    server = StallingServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.release.set()
    server.shutdown()


# --- A web server for http locations (HEAD, ranges, GETs counted) ---------------------------

LOCATION_DATA = bytes(range(256)) * 64  # 16 KiB


class RangeServer(http.server.BaseHTTPRequestHandler):
    """Serves ``self.server.files`` with HEAD and single byte ranges; counts GETs."""

    def log_message(self, *args):
        pass

    def _file(self):
        data = self.server.files.get(self.path)
        if data is None:
            self.send_error(404)
        return data

    def do_HEAD(self):
        data = self._file()
        if data is not None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()

    def do_GET(self):
        data = self._file()
        if data is None:
            return
        self.server.gets += 1
        wanted = self.headers.get("Range")
        if wanted:
            first, last = wanted.removeprefix("bytes=").split("-")
            start = int(first)
            end = int(last) if last else len(data) - 1
            part = data[start : end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            part = data
            self.send_response(200)
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part)


@pytest.fixture
def web(settings):
    """A loopback web server serving ``/small.img``, with the http store on and loopback
    allowed by the web-download filter."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeServer)
    httpd.files = {"/small.img": LOCATION_DATA}
    httpd.gets = 0
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.CATALOG_HTTP_STORE = True
    settings.CATALOG_IMPORT_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_IMPORT_ALLOWED_PORTS = []
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
