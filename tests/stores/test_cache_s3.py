"""The image cache in front of a real S3 endpoint (moto's server): concurrent first downloads
read the store once, later ones are served from the cache, and a truncated copy is refetched,
never served. Store reads are counted at the store's ``open``."""

import os
import threading

import pytest
from django.db import connections

from catalog.data.stores.s3 import S3Store
from tests.api.test_image_data import raw_image, upload
from tests.conftest import assert_status

DATA = os.urandom(3 * 1024 * 1024 + 123)


@pytest.fixture
def s3_with_cache(settings, s3_options, tmp_path, monkeypatch):
    settings.CATALOG_STORES = {"s3": s3_options}
    settings.CATALOG_DEFAULT_STORE = "s3"
    settings.CATALOG_IMAGE_CACHE_DIR = str(tmp_path / "cache")
    settings.CATALOG_NODE_URL = "http://node-a.test"
    reads = []
    real_open = S3Store.open

    def counting_open(self, url, start=0, length=None):
        reads.append((start, length))
        return real_open(self, url, start, length)

    monkeypatch.setattr(S3Store, "open", counting_open)
    return reads, tmp_path / "cache"


# transaction=True: the second download finishes in a thread of its own, whose connection
# records the download's image.send outside the test's transaction (a real commit on
# PostgreSQL); the test database is emptied after this test so nothing reaches the next ones.
@pytest.mark.django_db(transaction=True)
def test_one_store_read_for_concurrent_first_downloads(alice, admin, s3_with_cache):
    reads, cache_dir = s3_with_cache
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], DATA), 204)
    path = f"/v2/images/{image['id']}/file"
    first = assert_status(alice.get(path), 200)
    second = assert_status(alice.get(path), 200)  # opened while the first has not finished
    followed = {}

    def follow():
        try:
            followed.update(data=b"".join(second.streaming_content))
        finally:
            connections.close_all()

    thread = threading.Thread(target=follow)
    thread.start()
    assert b"".join(first.streaming_content) == DATA
    thread.join(timeout=60)
    assert followed["data"] == DATA
    assert len(reads) == 1
    third = assert_status(alice.get(path), 200)
    assert third.file_to_stream is not None and b"".join(third.streaming_content) == DATA
    ranged = assert_status(alice.get(path, headers={"Range": "bytes=100-199"}), 206)
    assert b"".join(ranged.streaming_content) == DATA[100:200]
    assert len(reads) == 1  # both served from the cache
    (entry,) = assert_status(admin.get("/v2/cache"), 200).json()["cached_images"]
    assert entry["hits"] == 2


def test_a_truncated_copy_is_refetched_never_served(alice, s3_with_cache):
    reads, cache_dir = s3_with_cache
    image = raw_image(alice)
    assert_status(upload(alice, image["id"], DATA), 204)
    path = f"/v2/images/{image['id']}/file"
    assert b"".join(assert_status(alice.get(path), 200).streaming_content) == DATA
    copy = cache_dir / image["id"]
    with open(copy, "r+b") as handle:
        handle.truncate(len(DATA) // 2)
    assert b"".join(assert_status(alice.get(path), 200).streaming_content) == DATA
    assert len(reads) == 2
    assert copy.read_bytes() == DATA
