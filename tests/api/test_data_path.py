"""The data path's guarantees that no timing can fake: the data is durable before the image
turns active, downloads from the file store hand the file itself to the server (sendfile),
and no more than a few chunks of image data are ever in Python memory."""

import hashlib
import os
import tracemalloc

from django.core.signals import request_finished
from django.db import close_old_connections
from django.test.client import ClientHandler

from catalog.data import streams
from catalog.services import image_data
from tests.conftest import assert_status

MiB = 1024 * 1024
OCTET = "application/octet-stream"


def raw_image(persona):
    return persona.create_image(disk_format="raw", container_format="bare")


class _Body:
    def readline(self, size=-1):
        raise AssertionError("an image body is never read by lines")


class GeneratedBody(_Body):
    """A request body of ``total`` bytes made as it is read: the test never holds it whole."""

    def __init__(self, total: int, seed: bytes):
        self.left = total
        self.seed = seed
        self.md5 = hashlib.md5()

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = (self.seed * (size // len(self.seed) + 1))[:size]
        self.left -= size
        self.md5.update(data)
        return data


def call(persona, method, path, body=None, length=0, **headers):
    """One request through Django's handler with a streamed ``wsgi.input``."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_X_AUTH_TOKEN": persona.token,
        "CONTENT_TYPE": OCTET,
        "CONTENT_LENGTH": str(length),
        "wsgi.input": body or GeneratedBody(0, b"x"),
        "wsgi.url_scheme": "http",
        **headers,
    }
    return ClientHandler(enforce_csrf_checks=False)(environ)


def close(response):
    """Close an unread response as a server would, keeping the test's database connection."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def test_the_data_is_durable_before_the_image_turns_active(
    alice, monkeypatch, image_store_dir, sync_events
):
    events = sync_events
    real_transition = image_data.transition

    def transition(image, target, **changes):
        events.append(("status", target))
        return real_transition(image, target, **changes)

    monkeypatch.setattr(image_data, "transition", transition)
    image_id = raw_image(alice)["id"]
    events.clear()
    body = GeneratedBody(3 * MiB + 5, os.urandom(4099))
    response = call(alice, "PUT", f"/v2/images/{image_id}/file", body, 3 * MiB + 5)
    assert_status(response, 204)

    blob = str(image_store_dir / image_id)
    temp_syncs = [i for i, (kind, path) in enumerate(events) if kind == "fsync" and ".tmp-" in path]
    order = [kind for kind, _ in events]
    assert temp_syncs, events
    replaced = events.index(("replace", blob))
    dir_synced = events.index(("fsync", str(image_store_dir)))
    active = events.index(("status", "active"))
    assert order[0] == "status" and events[0] == ("status", "saving")
    assert temp_syncs[-1] < replaced < dir_synced < active, events
    assert "status" not in order[1:active], events  # nothing else changed it meanwhile


def test_file_store_downloads_hand_the_open_file_to_the_server(alice, image_store_dir):
    image_id = raw_image(alice)["id"]
    data = os.urandom(300_000)
    assert_status(call(alice, "PUT", f"/v2/images/{image_id}/file", _Fixed(data), len(data)), 204)
    blob = os.stat(image_store_dir / image_id)
    for headers, start, length in [
        ({}, 0, len(data)),
        ({"HTTP_RANGE": "bytes=1000-1999"}, 1000, 1000),
    ]:
        response = call(alice, "GET", f"/v2/images/{image_id}/file", **headers)
        # Django gives file_to_stream to wsgi.file_wrapper; gunicorn then sends
        # Content-Length bytes from the file's current offset with sendfile.
        wrapped = response.file_to_stream
        assert wrapped is not None
        fd = wrapped.fileno()
        assert (os.fstat(fd).st_ino, os.fstat(fd).st_dev) == (blob.st_ino, blob.st_dev)
        assert os.lseek(fd, 0, os.SEEK_CUR) == start
        assert response["Content-Length"] == str(length)
        close(response)


class _Fixed(_Body):
    def __init__(self, data: bytes):
        self.data = memoryview(data)

    def read(self, size=-1):
        size = len(self.data) if size is None or size < 0 else size
        chunk, self.data = bytes(self.data[:size]), self.data[size:]
        return chunk


def test_no_more_than_a_few_chunks_of_data_in_memory(alice, settings):
    """128 chunks up and down: the Python heap never holds more than a few of them (the
    request thread's, the hash and store queues' of at most three each)."""
    chunk = 256 * 1024
    settings.CATALOG_DATA_CHUNK_SIZE = chunk
    total = 128 * chunk
    image_id = raw_image(alice)["id"]
    body = GeneratedBody(total, os.urandom(4099))

    tracemalloc.start()
    try:
        response = call(alice, "PUT", f"/v2/images/{image_id}/file", body, total)
        upload_peak = tracemalloc.get_traced_memory()[1]
        assert_status(response, 204)
        tracemalloc.reset_peak()
        response = call(alice, "GET", f"/v2/images/{image_id}/file")
        assert response.status_code == 200
        md5 = hashlib.md5()
        size = 0
        for part in response.streaming_content:  # without the server's file wrapper
            md5.update(part)
            size += len(part)
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (size, md5.hexdigest()) == (total, body.md5.hexdigest())
    assert upload_peak < 12 * chunk, f"upload peak {upload_peak} bytes"
    # A download without sendfile reads the store in CHUNK_SIZE pieces.
    assert download_peak < 3 * streams.CHUNK_SIZE, f"download peak {download_peak} bytes"
    assert total > 3 * streams.CHUNK_SIZE  # the bounds are below the image's size
