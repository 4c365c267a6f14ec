"""Image data through a live gunicorn: sized and chunked uploads, disconnects, memory."""

import hashlib
import json
import os
import socket
import time

from tests.livesrv import random_chunks, reset_peak_rss, rss_kib

MiB = 1024 * 1024
OCTET = {"Content-Type": "application/octet-stream"}


def image_record(server, image_id) -> dict:
    return json.loads(server.request("GET", f"/v2/images/{image_id}").data)


def put_stream(server, image_id, chunks, *, length=None, headers=None):
    """Upload from an iterator: with Content-Length if ``length`` is given, else chunked."""
    conn = server.connection()
    try:
        conn.putrequest("PUT", f"/v2/images/{image_id}/file")
        all_headers = server.headers(**OCTET, **(headers or {}))
        if length is None:
            all_headers["Transfer-Encoding"] = "chunked"
        else:
            all_headers["Content-Length"] = str(length)
        for name, value in all_headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in chunks:
            if length is None:
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                conn.send(chunk)
        if length is None:
            conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        response.data = response.read()
        return response
    finally:
        conn.close()


def get_stream(server, image_id, headers=None):
    """(response, size, md5, sha512) of a download, hashed as it arrives."""
    conn = server.connection()
    try:
        conn.request(
            "GET", f"/v2/images/{image_id}/file", headers=server.headers(**(headers or {}))
        )
        response = conn.getresponse()
        md5, sha512, size = hashlib.md5(), hashlib.sha512(), 0
        while chunk := response.read(MiB):
            md5.update(chunk)
            sha512.update(chunk)
            size += len(chunk)
        return response, size, md5.hexdigest(), sha512.hexdigest()
    finally:
        conn.close()


def hashed(chunks):
    md5, sha512 = hashlib.md5(), hashlib.sha512()
    for chunk in chunks:
        md5.update(chunk)
        sha512.update(chunk)
        yield chunk
    hashed.result = (md5.hexdigest(), sha512.hexdigest())


def test_sized_and_chunked_uploads_round_trip(gunicorn_server):
    for length in (5 * MiB + 3, None):
        image_id = gunicorn_server.create_image()
        data = os.urandom(5 * MiB + 3)
        response = put_stream(
            gunicorn_server,
            image_id,
            (data[i : i + 65536] for i in range(0, len(data), 65536)),
            length=length,
        )
        assert response.status == 204, response.data
        record = image_record(gunicorn_server, image_id)
        assert record["status"] == "active"
        assert record["size"] == len(data)
        assert record["checksum"] == hashlib.md5(data).hexdigest()
        assert record["os_hash_value"] == hashlib.sha512(data).hexdigest()
        response, size, md5, _ = get_stream(gunicorn_server, image_id)
        assert (response.status, size, md5) == (200, len(data), hashlib.md5(data).hexdigest())
        assert response.getheader("Content-MD5") == md5
        ranged = gunicorn_server.request(
            "GET", f"/v2/images/{image_id}/file", headers={"Range": "bytes=4194300-4194310"}
        )
        assert ranged.status == 206
        assert ranged.getheader("Content-Range") == f"bytes 4194300-4194310/{len(data)}"
        assert ranged.data == data[4194300:4194311]


def test_chunked_upload_with_wrong_declared_size_is_400_then_retry(gunicorn_server):
    image_id = gunicorn_server.create_image()
    response = put_stream(
        gunicorn_server, image_id, [b"x" * 1000], headers={"x-openstack-image-size": "999"}
    )
    assert response.status == 400
    assert "Size exceeds: expected 999 bytes" in json.loads(response.data)["error"]["message"]
    assert image_record(gunicorn_server, image_id)["status"] == "queued"
    response = put_stream(gunicorn_server, image_id, [b"x" * 999])
    assert response.status == 204


def wait_for_status(server, image_id, status, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = image_record(server, image_id)
        if record["status"] == status:
            return record
        time.sleep(0.1)
    raise AssertionError(f"image stayed {record['status']}")


def test_client_disconnect_mid_upload_leaves_queued_and_retry_works(gunicorn_server):
    for chunked in (False, True):
        image_id = gunicorn_server.create_image()
        sock = socket.create_connection(("127.0.0.1", gunicorn_server.port))
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {10 * MiB}"
        sock.sendall(
            (
                f"PUT /v2/images/{image_id}/file HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"X-Auth-Token: {gunicorn_server.token}\r\n"
                f"Content-Type: application/octet-stream\r\n{framing}\r\n\r\n"
            ).encode()
        )
        part = os.urandom(MiB)
        sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        wait_for_status(gunicorn_server, image_id, "saving")
        sock.close()
        record = wait_for_status(gunicorn_server, image_id, "queued")
        assert record["size"] is None and record["checksum"] is None
        response = put_stream(gunicorn_server, image_id, [b"retry"], length=5)
        assert response.status == 204, response.data
        assert get_stream(gunicorn_server, image_id)[1] == 5
    leftovers = os.listdir(gunicorn_server.workdir / "images")
    assert not [name for name in leftovers if name.startswith(".tmp-")]


def test_512_mib_upload_and_download_keep_server_memory_bounded(gunicorn_server):
    total = 512 * MiB
    bound_kib = 64 * 1024
    warm = gunicorn_server.create_image()
    assert put_stream(gunicorn_server, warm, random_chunks(8 * MiB), length=8 * MiB).status == 204
    get_stream(gunicorn_server, warm)

    pid = gunicorn_server.worker_pid()
    baseline = rss_kib(pid)
    assert reset_peak_rss(pid), "cannot reset the peak RSS mark (/proc/PID/clear_refs)"

    image_id = gunicorn_server.create_image()
    chunks = hashed(random_chunks(total))
    response = put_stream(gunicorn_server, image_id, chunks, length=total)
    assert response.status == 204, response.data
    md5, sha512 = hashed.result
    after_upload = rss_kib(pid, "VmHWM")
    response, size, got_md5, got_sha512 = get_stream(gunicorn_server, image_id)
    peak = rss_kib(pid, "VmHWM")

    assert (response.status, size) == (200, total)
    assert (got_md5, got_sha512) == (md5, sha512)
    record = image_record(gunicorn_server, image_id)
    assert (record["checksum"], record["os_hash_value"]) == (md5, sha512)
    growth = peak - baseline
    print(
        f"server RSS baseline {baseline} KiB, peak after upload {after_upload} KiB, "
        f"after download {peak} KiB, growth {growth} KiB"
    )
    assert growth < bound_kib, f"server memory grew by {growth} KiB (bound {bound_kib} KiB)"
