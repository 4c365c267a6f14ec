"""The S3 store against a real (local) S3 endpoint: multipart writes, ranged reads, deletes."""

import hashlib
import os
import threading
import time

import pytest

from catalog.data import stores
from catalog.data.stores.s3 import S3Store
from catalog.models import ImageLocation
from tests.api.test_image_data import body, download, upload
from tests.conftest import assert_status
from tests.livesrv import free_port

MiB = 1024 * 1024


def make_store(options) -> S3Store:
    options = dict(options)
    options.pop("kind")
    return S3Store("s3", **options)


def test_multipart_write_and_ranged_reads(s3_options):
    store = make_store(s3_options)
    store.ping()  # the readiness probe (creates the bucket first: create_bucket)
    data = os.urandom(12 * MiB + 123)
    writer = store.begin("image-1")
    for i in range(0, len(data), MiB):
        writer.write(data[i : i + MiB])
    # Streamed while writing (sent, or being sent by the part threads).
    assert writer.upload_id is not None and len(writer.parts) + len(writer.sending) == 2
    blob = writer.commit()
    assert blob.url == f"s3://{s3_options['bucket']}/image-1"
    assert store.size(blob.url) == len(data)
    reader = store.open(blob.url)
    assert hashlib.sha256(b"".join(reader)).digest() == hashlib.sha256(data).digest()
    reader.close()
    for start, length in [(0, 1), (len(data) - 1, 1), (5 * MiB - 10, 20), (100, 7 * MiB)]:
        reader = store.open(blob.url, start, length)
        assert reader.read() == data[start : start + length]
        reader.close()
    assert list(store.list_blobs()) == [("image-1", blob.url)]
    store.delete(blob.url)
    with pytest.raises(stores.BlobNotFound):
        store.delete(blob.url)
    with pytest.raises(stores.BlobNotFound):
        store.open(blob.url)


def test_small_blob_is_one_put_and_abort_leaves_nothing(s3_options):
    store = make_store(s3_options)
    writer = store.begin("small")
    writer.write(b"tiny")
    assert writer.upload_id is None
    blob = writer.commit()
    assert store.open(blob.url).read() == b"tiny"
    aborted = store.begin("aborted")
    aborted.write(os.urandom(6 * MiB))
    assert aborted.upload_id is not None
    aborted.abort()
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    assert uploads == []
    assert [key for key, _ in store.list_blobs()] == ["small"]


def test_discard_unfinished_aborts_a_dead_writers_multipart_upload(s3_options):
    store = make_store(s3_options)
    kept = store.begin("other")
    kept.write(os.urandom(6 * MiB))  # another image's upload in progress
    dead = store.begin("dead")
    dead.write(os.urandom(6 * MiB))  # its process is killed here: no abort, no commit
    store.discard_unfinished("dead")
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == ["other"]
    committed = store.begin("committed")
    committed.write(b"x")
    committed.commit()  # killed after the commit, before the location was recorded
    store.discard_unfinished("committed")
    store.discard_unfinished("never-written")
    assert list(store.list_blobs()) == []
    kept.abort()


def test_urls_of_other_buckets_are_refused(s3_options):
    store = make_store(s3_options)
    assert not store.owns("s3://another-bucket/x")
    assert not store.owns(f"s3://{store.bucket}/../x")
    with pytest.raises(stores.StoreError):
        store.open("s3://another-bucket/x")


def test_image_api_on_the_s3_store(alice, settings, s3_options):
    settings.CATALOG_STORES = {"objects": s3_options}
    settings.CATALOG_DEFAULT_STORE = "objects"
    image = alice.create_image(disk_format="raw", container_format="bare")
    data = os.urandom(11 * MiB + 5)
    assert_status(upload(alice, image["id"], data), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    location = ImageLocation.objects.get(image_id=image["id"])
    assert (location.store, location.url) == (
        "objects",
        f"s3://{s3_options['bucket']}/{image['id']}",
    )
    assert body(assert_status(download(alice, image["id"]), 200)) == data
    response = assert_status(download(alice, image["id"], {"Range": "bytes=-10"}), 206)
    assert body(response) == data[-10:]
    store = stores.get_store("objects")
    assert store.size(location.url) == len(data)
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    with pytest.raises(stores.BlobNotFound):
        store.size(location.url)


def test_failed_inspection_on_s3_leaves_no_object(alice, settings, s3_options):
    settings.CATALOG_STORES = {"objects": s3_options}
    image = alice.create_image(disk_format="qcow2", container_format="bare")
    assert_status(upload(alice, image["id"], os.urandom(6 * MiB)), 415)
    store = stores.get_store("objects")
    assert list(store.list_blobs()) == []
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_a_multipart_upload_lost_mid_way_fails_cleanly(s3_options):
    """The gateway forgets the upload between two parts (an operator's abort, a lifecycle
    rule): the next part fails with StoreError, and nothing is left under the key."""
    store = make_store(s3_options)
    writer = store.begin("interrupted")
    writer.write(os.urandom(6 * MiB))
    assert writer.upload_id is not None
    store.client.abort_multipart_upload(
        Bucket=store.bucket, Key=writer.key, UploadId=writer.upload_id
    )
    with pytest.raises(stores.StoreError):
        writer.write(os.urandom(6 * MiB))
        writer.commit()
    writer.abort()
    assert list(store.list_blobs()) == []
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_an_unreachable_endpoint_is_a_store_error(s3_options):
    options = dict(s3_options, endpoint_url=f"http://127.0.0.1:{free_port()}")
    options["create_bucket"] = False
    store = make_store(options)
    with pytest.raises(stores.StoreError):
        store.ping()
    with pytest.raises(stores.StoreError):
        store.size(f"s3://{store.bucket}/gone")
    writer = store.begin("never")
    with pytest.raises(stores.StoreError):
        writer.write(os.urandom(6 * MiB))


class _SlowClient:
    """Records how many parts are in flight at once; part ``fail`` raises."""

    def __init__(self, fail=None):
        self.lock = threading.Lock()
        self.in_flight = self.most = 0
        self.fail = fail
        self.completed = self.aborted = None

    def create_multipart_upload(self, **_):
        return {"UploadId": "u1"}

    def upload_part(self, PartNumber, Body, **_):
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.02)
        with self.lock:
            self.in_flight -= 1
        if PartNumber == self.fail:
            raise stores.StoreError("part refused")
        return {"ETag": f"e{PartNumber}"}

    def complete_multipart_upload(self, MultipartUpload, **_):
        self.completed = MultipartUpload["Parts"]

    def abort_multipart_upload(self, **_):
        self.aborted = True


@pytest.mark.parametrize("concurrency", [1, 3])
def test_parts_are_sent_concurrently_in_order_and_bounded(concurrency):
    store = S3Store("s3", bucket="b", part_size=5 * MiB, concurrency=concurrency)
    store._client = client = _SlowClient()
    writer = store.begin("blob")
    for _ in range(12):
        writer.write(b"x" * (2 * MiB))  # 24 MiB: four whole parts and a short last one
    writer.commit()
    assert client.most == concurrency
    assert client.completed == [{"PartNumber": n, "ETag": f"e{n}"} for n in range(1, 6)]
    assert writer.pool is None  # the threads are gone


def test_a_failed_part_fails_the_commit_and_aborts_the_upload():
    store = S3Store("s3", bucket="b", part_size=5 * MiB, concurrency=3)
    store._client = client = _SlowClient(fail=2)
    writer = store.begin("blob")
    with pytest.raises(stores.StoreError):  # from a later write or from the commit
        try:
            for _ in range(12):
                writer.write(b"x" * (2 * MiB))
            writer.commit()
        finally:
            writer.abort()  # as the upload service does on any failure
    assert client.aborted and client.completed is None
    assert writer.pool is None
