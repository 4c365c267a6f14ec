"""The RBD store against the session's Ceph (tests/support/ceph_cluster.py): streaming writes,
ranged reads, the protected snapshot Nova and Cinder clone, deletes, and a dead writer's
leftovers. The ``ceph`` group (tests/conftest.py GROUPS)."""

import hashlib
import os

import pytest

from catalog.data import stores
from catalog.data.stores.rbd import RBDStore
from catalog.models import ImageLocation
from tests.api.test_image_data import body, download, upload
from tests.conftest import assert_status

rados = pytest.importorskip("rados", reason="python3-rados is not linked into the venv")
rbd = pytest.importorskip("rbd", reason="python3-rbd is not linked into the venv")

MiB = 1024 * 1024


@pytest.fixture
def rbd_options(ceph, request):
    pool = "vitrine-" + request.node.originalname.replace("_", "-")[5:40].strip("-")
    options = ceph.rbd_store_options(pool, chunk_size=MiB)
    yield options
    ceph.ceph("osd", "pool", "delete", pool, pool, "--yes-i-really-really-mean-it")


def make_store(options) -> RBDStore:
    options = dict(options)
    options.pop("kind")
    return RBDStore("ceph", **options)


def test_streaming_write_snapshot_and_ranged_reads(ceph, rbd_options):
    store = make_store(rbd_options)
    store.ping()  # the readiness probe
    data = os.urandom(5 * MiB + 77)
    writer = store.begin("image-1")
    for i in range(0, len(data), 300_000):
        writer.write(data[i : i + 300_000])
    assert [key for key, _ in store.list_blobs()] == []  # not listed before the commit
    blob = writer.commit()
    assert blob.url == f"rbd://{ceph.fsid}/{rbd_options['pool']}/image-1/snap"
    assert store.owns(blob.url) and not store.owns("rbd://other-fsid/x/image-1/snap")
    assert store.size(blob.url) == len(data)
    reader = store.open(blob.url)
    assert hashlib.sha256(b"".join(reader)).digest() == hashlib.sha256(data).digest()
    reader.close()
    for start, length in [(0, 1), (len(data) - 1, 1), (MiB - 10, 20), (100, 3 * MiB), (5, None)]:
        reader = store.open(blob.url, start, length)
        expected = data[start:] if length is None else data[start : start + length]
        assert reader.read() == expected
        reader.close()
    assert list(store.list_blobs()) == [("image-1", blob.url)]
    store.delete(blob.url)
    with pytest.raises(stores.BlobNotFound):
        store.delete(blob.url)
    with pytest.raises(stores.BlobNotFound):
        store.open(blob.url)


def test_the_snapshot_is_protected_and_clonable_as_nova_does(rbd_options):
    store = make_store(rbd_options)
    writer = store.begin("base")
    writer.write(b"\x01" * MiB)
    blob = writer.commit()
    with store.ioctx() as ioctx:
        with rbd.Image(ioctx, "base", read_only=True) as image:
            assert image.is_protected_snap("snap")
            assert image.features() & rbd.RBD_FEATURE_LAYERING
        rbd.RBD().clone(ioctx, "base", "snap", ioctx, "vm-disk", features=rbd.RBD_FEATURE_LAYERING)
        with rbd.Image(ioctx, "vm-disk", read_only=True) as clone:
            assert clone.read(0, 4) == b"\x01" * 4
        # The image is in use by a clone: deleting it is refused, not half done.
        with pytest.raises(stores.StoreError, match="in use"):
            store.delete(blob.url)
        rbd.RBD().remove(ioctx, "vm-disk")
    assert store.size(blob.url) == MiB
    store.delete(blob.url)


def test_abort_and_a_dead_writers_image_leave_nothing(rbd_options):
    store = make_store(rbd_options)
    aborted = store.begin("aborted")
    aborted.write(os.urandom(2 * MiB))
    aborted.abort()
    store.begin("dead").write(os.urandom(MiB))  # its process is killed here
    committed = store.begin("committed")
    committed.write(b"x")
    committed.commit()  # killed after the commit, before the location was recorded
    store.discard_unfinished("dead")
    store.discard_unfinished("committed")
    store.discard_unfinished("never-written")
    with store.ioctx() as ioctx:
        assert rbd.RBD().list(ioctx) == []


def test_an_unreachable_cluster_is_a_store_error(tmp_path):
    conf = tmp_path / "ceph.conf"
    conf.write_text("[global]\nmon host = 127.0.0.1:9\nauth client required = none\n")
    store = RBDStore("gone", pool="images", conf_file=str(conf), connect_timeout=2)
    with pytest.raises(stores.StoreError):
        store.begin("x")
    with pytest.raises(stores.StoreError):
        store.ping()


def test_image_api_on_the_rbd_store(alice, settings, ceph, rbd_options):
    settings.CATALOG_STORES = {"ceph": rbd_options}
    image = alice.create_image(disk_format="raw", container_format="bare")
    data = os.urandom(3 * MiB + 5)
    assert_status(upload(alice, image["id"], data), 204)
    location = ImageLocation.objects.get(image_id=image["id"])
    pool = rbd_options["pool"]
    assert (location.store, location.url) == (
        "ceph",
        f"rbd://{ceph.fsid}/{pool}/{image['id']}/snap",
    )
    assert body(assert_status(download(alice, image["id"]), 200)) == data
    response = assert_status(download(alice, image["id"], {"Range": "bytes=100-199"}), 206)
    assert body(response) == data[100:200]
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    with pytest.raises(stores.BlobNotFound):
        stores.get_store("ceph").size(location.url)
