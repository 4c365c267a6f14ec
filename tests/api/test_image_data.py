"""PUT and GET /v2/images/{id}/file through the Django stack, with the filesystem store."""

import hashlib
import os

import pytest

from catalog.data import stores
from catalog.models import Image, ImageLocation
from tests.conftest import assert_status

OCTET = "application/octet-stream"


def upload(persona, image_id, data, headers=None, content_type=OCTET):
    # Straight to the test client: its helpers drop the Content-Type of an empty body.
    return persona.client.generic(
        "PUT",
        f"/v2/images/{image_id}/file",
        data=data,
        content_type=content_type,
        headers=persona._headers(headers),
        CONTENT_TYPE=content_type,
    )


def download(persona, image_id, headers=None):
    return persona.get(f"/v2/images/{image_id}/file", headers=headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def raw_image(persona, **extra):
    return persona.create_image(disk_format="raw", container_format="bare", **extra)


def assert_queued_without_data(image_id, store_dir, other_blobs=0):
    """The image is back to queued with nothing of the failed upload left anywhere
    (``other_blobs``: data of other images the test stored meanwhile)."""
    row = Image.objects.get(pk=image_id)
    assert row.status == "queued"
    fields = (row.size, row.virtual_size, row.checksum, row.os_hash_algo, row.os_hash_value)
    assert fields == (None,) * 5
    assert not ImageLocation.objects.filter(image_id=image_id).exists()
    stored = os.listdir(store_dir) if store_dir.exists() else []
    assert len(stored) == other_blobs


def test_upload_records_hashes_equal_to_hashlib(alice):
    data = os.urandom(3 * 1024 * 1024 + 17)
    image = raw_image(alice)
    response = assert_status(upload(alice, image["id"], data), 204)
    assert response.content == b""
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active"
    assert shown["size"] == len(data) == shown["virtual_size"]
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()


@pytest.mark.parametrize("parallel", [True, False])
def test_hash_algorithm_is_configurable(alice, settings, parallel):
    settings.CATALOG_HASH_ALGORITHM = "sha256"
    settings.CATALOG_PARALLEL_HASHING = parallel
    data = b"0123456789" * 100
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], data), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["os_hash_algo"] == "sha256"
    assert shown["os_hash_value"] == hashlib.sha256(data).hexdigest()
    assert shown["checksum"] == "427008b3fe192f663d665f56cd75716c"  # md5, as Glance records


def test_round_trip_whole_and_by_ranges(alice, settings):
    settings.CATALOG_DATA_CHUNK_SIZE = 65536  # many chunks, odd boundaries
    data = os.urandom(300_001)
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], data), 204)
    response = assert_status(download(alice, image["id"]), 200)
    assert response["Content-Type"] == OCTET
    assert response["Content-Length"] == str(len(data))
    assert response["Content-MD5"] == hashlib.md5(data).hexdigest()
    assert body(response) == data
    total = len(data)
    cases = {
        "bytes=0-0": (0, 0),
        f"bytes={total - 1}-{total - 1}": (total - 1, total - 1),
        "bytes=-5": (total - 5, total - 1),
        "bytes=1000-": (1000, total - 1),
        f"bytes=70000-{total + 500}": (70000, total - 1),  # end clamped
        f"bytes=-{total + 10}": (0, total - 1),  # suffix longer than the image
        "bytes=65535-131072": (65535, 131072),
    }
    for header, (start, end) in cases.items():
        response = assert_status(download(alice, image["id"], {"Range": header}), 206)
        assert response["Content-Range"] == f"bytes {start}-{end}/{total}", header
        assert response["Content-Length"] == str(end - start + 1)
        assert response["Content-MD5"] == hashlib.md5(data).hexdigest()
        assert body(response) == data[start : end + 1], header


def test_legacy_content_range_request_header(alice):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"abcdefghij"), 204)
    response = assert_status(download(alice, image["id"], {"Content-Range": "bytes 2-4/10"}), 206)
    assert body(response) == b"cde"


@pytest.mark.parametrize(
    "header,status,message",
    [
        (
            "bytes=5000-6000",
            416,
            "Invalid start position in Range header. Start position "
            "MUST be in the inclusive range [0, 999].",
        ),
        ("bytes=1000-", 416, "Invalid start position"),
        ("pages=1-2", 416, "Invalid Range header."),
        ("bytes=5-2", 416, "Invalid Range header."),
        ("bytes=-0", 416, "Invalid Range header."),
        ("bytes=0-1,3-4", 400, "Requests with multiple ranges are not supported in Glance."),
    ],
)
def test_bad_ranges(alice, header, status, message):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"x" * 1000), 204)
    response = assert_status(download(alice, image["id"], {"Range": header}), status)
    assert message in response.json()["error"]["message"]


def test_download_without_data_is_204(alice):
    image = raw_image(alice)
    response = assert_status(download(alice, image["id"]), 204)
    assert response.content == b""
    assert_status(download(alice, image["id"], {"Range": "bytes=0-1"}), 204)


def test_empty_image_round_trip(alice):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b""), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert (shown["status"], shown["size"]) == ("active", 0)
    response = assert_status(download(alice, image["id"]), 200)
    assert body(response) == b""


def test_upload_to_active_image_is_409(alice):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"one"), 204)
    response = assert_status(upload(alice, image["id"], b"two"), 409)
    assert response.json()["error"]["message"] == (
        "Image status transition from active to saving is not allowed"
    )


def test_upload_while_saving_is_409(alice):
    image = raw_image(alice)
    Image.objects.filter(pk=image["id"]).update(status="saving")
    response = assert_status(upload(alice, image["id"], b"two"), 409)
    assert "from saving to saving" in response.json()["error"]["message"]


def test_upload_needs_both_formats(alice):
    image = alice.create_image(disk_format="raw")
    response = assert_status(upload(alice, image["id"], b"abc"), 400)
    assert response.json()["error"]["message"] == (
        "Properties disk_format, container_format must be set prior to saving data."
    )
    assert Image.objects.get(pk=image["id"]).status == "queued"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
def test_upload_needs_octet_stream(alice, content_type, image_store_dir):
    image = raw_image(alice)
    response = assert_status(upload(alice, image["id"], b"abc", content_type=content_type), 415)
    assert response.json()["error"]["message"] == f"Invalid content type {content_type}"
    assert_queued_without_data(image["id"], image_store_dir)


def test_size_header_must_be_an_integer(alice):
    image = raw_image(alice)
    response = assert_status(
        upload(alice, image["id"], b"abc", {"x-openstack-image-size": "big"}), 400
    )
    assert response.json()["error"]["message"] == (
        "Invalid or missing image size in request headers."
    )


def test_declared_size_too_small_is_400_and_nothing_kept(alice, image_store_dir):
    image = raw_image(alice)
    response = assert_status(
        upload(alice, image["id"], b"0123456789", {"x-openstack-image-size": "3"}), 400
    )
    assert response.json()["error"]["message"] == "Size exceeds: expected 3 bytes, got 10 bytes"
    assert_queued_without_data(image["id"], image_store_dir)
    assert_status(upload(alice, image["id"], b"0123456789"), 204)  # a retry works


def test_declared_size_too_large_is_400(alice, image_store_dir):
    image = raw_image(alice)
    response = assert_status(
        upload(alice, image["id"], b"0123456789", {"x-openstack-image-size": "20"}), 400
    )
    assert response.json()["error"]["message"] == "Size mismatch: expected 20 bytes, got 10 bytes"
    assert_queued_without_data(image["id"], image_store_dir)


def test_size_cap_is_413_while_streaming(alice, settings, image_store_dir):
    settings.CATALOG_IMAGE_SIZE_CAP = 100
    image = raw_image(alice)
    for headers in ({}, {"x-openstack-image-size": "0"}):  # declared, then unknown size
        response = assert_status(upload(alice, image["id"], b"x" * 101, headers), 413)
        assert response.json()["error"]["message"] == (
            "The incoming image is too large: The provided image is too large."
        )
        assert_queued_without_data(image["id"], image_store_dir)
    assert_status(upload(alice, image["id"], b"x" * 100), 204)


def test_storage_quota_is_413_and_counts_other_images(alice, settings, image_store_dir):
    settings.CATALOG_USER_STORAGE_QUOTA = 1000
    first = raw_image(alice)
    assert_status(upload(alice, first["id"], b"x" * 352), 204)
    second = raw_image(alice)
    response = assert_status(upload(alice, second["id"], b"y" * 1000), 413)
    assert response.json()["error"]["message"] == (
        "Image exceeds the storage quota: The size of the data 1000 will exceed the limit. "
        "648 bytes remaining."
    )
    Image.objects.filter(pk=second["id"]).update()
    assert Image.objects.get(pk=second["id"]).status == "queued"
    # Unknown size: stopped while streaming.
    response = assert_status(
        upload(alice, second["id"], b"y" * 1000, {"x-openstack-image-size": "0"}), 413
    )
    assert "648 bytes remaining" in response.json()["error"]["message"]
    assert Image.objects.get(pk=second["id"]).status == "queued"
    assert_status(upload(alice, second["id"], b"y" * 648), 204)


def test_quota_rechecked_after_the_write(alice, settings, monkeypatch, image_store_dir):
    """A concurrent upload of the same owner may finish first: the quota is checked again
    once the data is in, and the blob is discarded."""
    from catalog.services import image_data

    settings.CATALOG_USER_STORAGE_QUOTA = 1000
    image, rival = raw_image(alice), raw_image(alice)
    receive = image_data.receive_into

    def receive_while_a_rival_finishes(img, *args):
        received = receive(img, *args)
        if img.pk == image["id"]:
            assert_status(upload(alice, rival["id"], b"r" * 600), 204)
        return received

    monkeypatch.setattr(image_data, "receive_into", receive_while_a_rival_finishes)
    response = assert_status(upload(alice, image["id"], b"z" * 500), 413)
    assert "400 bytes remaining" in response.json()["error"]["message"]
    assert_queued_without_data(image["id"], image_store_dir, other_blobs=1)


class BrokenStream:
    """A request body whose connection drops after some bytes."""

    def __init__(self, data, fail_after):
        self.data, self.fail_after, self.sent = data, fail_after, 0

    def read(self, size):
        if self.sent >= self.fail_after:
            raise OSError("connection reset by peer")
        chunk = self.data[self.sent : self.sent + min(size, self.fail_after - self.sent)]
        self.sent += len(chunk)
        return chunk


def test_client_disconnect_leaves_image_queued_and_retry_works(alice, monkeypatch, image_store_dir):
    from catalog.api import bodies
    from catalog.data import streams

    image = raw_image(alice)
    data = os.urandom(200_000)
    original = streams.iter_body
    monkeypatch.setattr(
        bodies.streams,
        "iter_body",
        lambda stream, length, chunk_size: original(BrokenStream(data, 70_000), length, 4096),
    )
    response = assert_status(upload(alice, image["id"], data), 400)
    assert response.json()["error"]["message"] == "The request body could not be read completely."
    assert_queued_without_data(image["id"], image_store_dir)
    monkeypatch.setattr(bodies.streams, "iter_body", original)
    assert_status(upload(alice, image["id"], data), 204)
    assert body(download(alice, image["id"])) == data


def test_store_failure_is_503_and_leaves_image_queued(alice, monkeypatch, image_store_dir):
    from catalog.data.stores.filesystem import FileBlobWriter

    def fail(self, chunk):
        raise stores.StoreError("disk full")

    image = raw_image(alice)
    monkeypatch.setattr(FileBlobWriter, "write", fail)
    response = assert_status(upload(alice, image["id"], b"abc" * 1000), 503)
    assert response.json()["error"]["message"] == "The image store failed to save the data."
    assert_queued_without_data(image["id"], image_store_dir)
    monkeypatch.undo()
    assert_status(upload(alice, image["id"], b"abc"), 204)


def test_deleted_during_upload_is_410_and_data_removed(alice, monkeypatch, image_store_dir):
    from catalog.services import image_data

    image = raw_image(alice)
    receive = image_data.receive_into

    def receive_then_delete(img, *args):
        received = receive(img, *args)
        assert_status(alice.delete(f"/v2/images/{img.pk}"), 204)
        return received

    monkeypatch.setattr(image_data, "receive_into", receive_then_delete)
    response = assert_status(upload(alice, image["id"], b"abc"), 410)
    assert "could not be found after upload" in response.json()["error"]["message"]
    assert os.listdir(image_store_dir) == []
    assert not ImageLocation.objects.filter(image_id=image["id"]).exists()


def test_upload_policy(alice, bob, carol, admin):
    image = raw_image(alice)
    response = assert_status(upload(carol, image["id"], b"abc"), 403)
    assert response.json()["error"]["message"] == (
        f"Not allowed to upload image data for image {image['id']}"
    )
    assert_status(upload(bob, image["id"], b"abc"), 404)
    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert_status(upload(admin, image["id"], b"abc"), 204)


def test_download_policy(alice, bob, carol, admin):
    image = raw_image(alice, visibility="community")
    assert_status(upload(alice, image["id"], b"abc"), 204)
    assert body(assert_status(download(bob, image["id"]), 200)) == b"abc"
    assert body(assert_status(download(admin, image["id"]), 200)) == b"abc"
    response = assert_status(download(carol, image["id"]), 403)  # a reader cannot download
    assert "download_image" in response.json()["error"]["message"]
    private = raw_image(alice, visibility="private")
    assert_status(upload(alice, private["id"], b"abc"), 204)
    assert_status(download(bob, private["id"]), 404)


def test_store_header_is_ignored_by_a_single_store_site(alice):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"abc", {"X-Image-Meta-Store": "nope"}), 204)
    assert "stores" not in alice.get(f"/v2/images/{image['id']}").json()


def test_unknown_store_header_is_400_in_multi_store_mode(alice, settings, tmp_path):
    settings.CATALOG_STORES = {"fast": {"kind": "file", "path": str(tmp_path / "fast")}}
    image = raw_image(alice)
    response = assert_status(
        upload(alice, image["id"], b"abc", {"X-Image-Meta-Store": "nope"}), 400
    )
    assert response.json()["error"]["message"] == "Store for identifier nope not found"
    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert "stores" not in alice.get(f"/v2/images/{image['id']}").json()  # no data yet


def test_upload_goes_to_the_chosen_store(alice, settings, tmp_path):
    settings.CATALOG_STORES = {
        "fast": {"kind": "file", "path": str(tmp_path / "fast")},
        "slow": {"kind": "file", "path": str(tmp_path / "slow"), "description": "Slow disks"},
        "archive": {"kind": "file", "path": str(tmp_path / "archive"), "read_only": True},
    }
    settings.CATALOG_DEFAULT_STORE = "fast"
    first, second, third = raw_image(alice), raw_image(alice), raw_image(alice)
    assert_status(upload(alice, first["id"], b"abc"), 204)
    assert_status(upload(alice, second["id"], b"def", {"X-Image-Meta-Store": "slow"}), 204)
    assert os.listdir(tmp_path / "fast") == [first["id"]]
    assert os.listdir(tmp_path / "slow") == [second["id"]]
    assert ImageLocation.objects.get(image_id=second["id"]).store == "slow"
    assert alice.get(f"/v2/images/{second['id']}").json()["stores"] == "slow"
    assert body(download(alice, second["id"])) == b"def"
    response = assert_status(
        upload(alice, third["id"], b"x", {"X-Image-Meta-Store": "archive"}), 410
    )
    assert "read-only" in response.json()["error"]["message"]


def test_deactivated_image_download_is_403_for_non_admins(alice, admin):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"abc"), 204)
    assert_status(alice.post(f"/v2/images/{image['id']}/actions/deactivate"), 204)
    response = assert_status(download(alice, image["id"]), 403)
    assert response.json()["error"]["message"] == (
        "The requested image has been deactivated. Image data download is forbidden."
    )
    assert body(assert_status(download(admin, image["id"]), 200)) == b"abc"


def test_locations_hidden_unless_configured(alice, settings, image_store_dir):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"abc"), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert "locations" not in shown and "direct_url" not in shown
    settings.CATALOG_SHOW_MULTIPLE_LOCATIONS = True
    settings.CATALOG_SHOW_IMAGE_DIRECT_URL = True
    shown = alice.get(f"/v2/images/{image['id']}").json()
    url = f"file://{image_store_dir.resolve()}/{image['id']}"
    assert shown["direct_url"] == url
    assert shown["locations"] == [{"url": url, "metadata": {"store": "local"}}]
    listed = alice.get("/v2/images").json()["images"][0]
    assert listed["direct_url"] == url


def test_delete_removes_the_data(alice, image_store_dir):
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"abc"), 204)
    assert os.listdir(image_store_dir) == [image["id"]]
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    assert os.listdir(image_store_dir) == []
    assert not ImageLocation.objects.filter(image_id=image["id"]).exists()


def test_delete_with_failing_store_still_deletes_and_remembers_blob(alice, monkeypatch):
    from catalog.data.stores.filesystem import FileStore

    def fail(self, url):
        raise stores.StoreError("store offline")

    image = raw_image(alice)
    assert_status(upload(alice, image["id"], b"abc"), 204)
    monkeypatch.setattr(FileStore, "delete", fail)
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    row = Image.objects.get(pk=image["id"])
    assert row.deleted and row.status == "deleted"
    location = ImageLocation.objects.get(image_id=image["id"])
    assert location.status == ImageLocation.PENDING_DELETE
    assert_status(alice.get(f"/v2/images/{image['id']}/file"), 404)


def test_chunked_body_on_a_server_that_does_not_dechunk_is_411(alice):
    # Django's test server (like runserver) passes chunked framing through unmarked.
    image = raw_image(alice)
    response = assert_status(
        upload(alice, image["id"], b"3\r\nabc\r\n0\r\n\r\n", {"Transfer-Encoding": "chunked"}),
        411,
    )
    assert "Content-Length" in response.json()["error"]["message"]
    assert Image.objects.get(pk=image["id"]).status == "queued"


def test_a_store_failing_at_commit_is_503_and_nothing_is_kept(alice, monkeypatch, image_store_dir):
    """A full disk at the final fsync or rename (or a failed S3 completion) is the store's
    failure: 503 as Glance, the image queued again, nothing left behind."""
    from catalog.data.stores import filesystem

    def fail(self):
        raise stores.StoreError("No space left on device")

    image = raw_image(alice)
    monkeypatch.setattr(filesystem.FileBlobWriter, "commit", fail)
    response = assert_status(upload(alice, image["id"], b"d" * 100), 503)
    assert "store failed" in response.json()["error"]["message"]
    assert_queued_without_data(image["id"], image_store_dir)
    monkeypatch.undo()
    assert_status(upload(alice, image["id"], b"d" * 100), 204)
