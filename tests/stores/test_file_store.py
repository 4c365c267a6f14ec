"""The filesystem store: atomic commits, aligned direct writes, confinement to its root."""

import os

import pytest

from catalog.data import stores
from catalog.data.stores import filesystem
from catalog.data.stores.filesystem import STAGING_SIZE, FileStore


@pytest.fixture(params=[True, False], ids=["direct", "buffered"])
def store(request, tmp_path):
    return FileStore("local", path=tmp_path / "root", direct_io=request.param)


@pytest.mark.parametrize(
    "sizes",
    [[], [1], [4095], [4096], [4097], [STAGING_SIZE + 1], [3, 70000, STAGING_SIZE, 5, 8191]],
)
def test_blob_round_trip_for_awkward_sizes(store, sizes):
    chunks = [os.urandom(size) for size in sizes]
    data = b"".join(chunks)
    writer = store.begin("blob")
    for chunk in chunks:
        writer.write(chunk)
    assert list(store.list_blobs()) == []  # nothing visible before the commit
    blob = writer.commit()
    assert store.size(blob.url) == len(data)
    reader = store.open(blob.url)
    assert b"".join(reader) == data
    reader.close()
    if data:
        reader = store.open(blob.url, len(data) // 2, 3)
        assert reader.read() == data[len(data) // 2 : len(data) // 2 + 3]
        reader.close()
    assert [key for key, _ in store.list_blobs()] == ["blob"]
    assert [n for n in os.listdir(store.root) if n.startswith(".")] == []


def test_direct_io_is_used_where_supported(tmp_path):
    writer = FileStore("local", path=tmp_path, direct_io=True).begin("blob")
    assert writer.staging is not None, "O_DIRECT should work on this filesystem"
    writer.abort()


def test_buffered_writes_are_the_default_and_start_writeback_behind_the_writer(
    tmp_path, monkeypatch
):
    calls = []
    monkeypatch.setattr(filesystem, "WRITEBACK_STEP", 64 * 1024)
    monkeypatch.setattr(
        filesystem,
        "start_writeback",
        lambda fd, start, length, wait=False: calls.append((start, length, wait)),
    )
    writer = FileStore("local", path=tmp_path).begin("blob")
    assert writer.staging is None  # buffered: the new blob stays in the page cache
    for _ in range(5):
        writer.write(b"x" * 50 * 1024)  # 250 KiB: three whole 64 KiB steps
    writer.commit()
    step = 64 * 1024
    assert calls == [
        (0, step, False),
        (step, step, False),
        (0, step, True),  # waits for the step before: at most two steps dirty
        (2 * step, step, False),
        (step, step, True),
    ]


def test_commit_syncs_the_file_before_renaming_and_the_directory_after(tmp_path, sync_events):
    events = sync_events
    store = FileStore("local", path=tmp_path)
    writer = store.begin("blob")
    writer.write(b"data")
    temp = str(writer.temp)
    writer.commit()
    assert events == [
        ("fsync", temp),
        ("replace", str(store.root / "blob")),
        ("fsync", str(store.root)),
    ]


def test_whole_reads_are_hinted_sequential(tmp_path, monkeypatch):
    store = FileStore("local", path=tmp_path)
    writer = store.begin("blob")
    writer.write(b"y" * 10000)
    blob = writer.commit()
    hints = []
    real = os.posix_fadvise
    monkeypatch.setattr(
        os,
        "posix_fadvise",
        lambda fd, o, n, advice: hints.append((o, n, advice)) or real(fd, o, n, advice),
    )
    reader = store.open(blob.url, 100, 50)
    assert reader.read() == b"y" * 50
    reader.close()
    assert hints == [(100, 50, os.POSIX_FADV_SEQUENTIAL)]


def test_abort_leaves_nothing(store):
    writer = store.begin("blob")
    writer.write(os.urandom(10000))
    writer.abort()
    assert os.listdir(store.root) == []


def test_discard_unfinished_removes_a_dead_writers_leftovers(store):
    other = store.begin("other")
    other.write(b"o" * 5000)  # another image's write in progress
    dead = store.begin("dead")
    dead.write(b"d" * 5000)  # its process is killed here
    store.discard_unfinished("dead")
    committed = store.begin("committed")
    committed.write(b"c")
    committed.commit()  # killed after the commit, before the location was recorded
    store.discard_unfinished("committed")
    store.discard_unfinished("never-written")
    assert [p.name.startswith(".") for p in store.root.iterdir()] == [True]  # other's temp
    other.abort()


def test_paths_stay_inside_the_root(store, tmp_path):
    writer = store.begin("blob")
    writer.write(b"x")
    blob = writer.commit()
    (tmp_path / "secret").write_bytes(b"secret")
    outside = [
        f"file://{tmp_path}/secret",
        f"file://{store.root}/../secret",
        f"file://{store.root}/.hidden",
        "file:///etc/passwd",
        "s3://bucket/blob",
        f"file://otherhost{store.root}/blob",
    ]
    for url in outside:
        assert not store.owns(url), url
        with pytest.raises(stores.StoreError):
            store.open(url)
        with pytest.raises(stores.StoreError):
            store.delete(url)
    assert store.owns(blob.url)
    for key in ["../x", ".x", "a/b", "", "x" * 200]:
        with pytest.raises(ValueError):
            store.begin(key)


def test_store_configuration(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.CATALOG_STORES = {
        "a": {"kind": "file", "path": str(tmp_path / "a"), "description": "A"},
        "b": {"kind": "s3", "bucket": "images", "read_only": True},
    }
    settings.CATALOG_DEFAULT_STORE = "b"
    assert stores.default_store().id == "b" and stores.default_store().read_only
    assert stores.get_store("a").description == "A"
    assert stores.get_store("nope") is None
    settings.CATALOG_DEFAULT_STORE = "c"
    with pytest.raises(ImproperlyConfigured):
        stores.default_store()
    settings.CATALOG_DEFAULT_STORE = ""
    settings.CATALOG_STORES = {"x": {"kind": "ftp"}}
    with pytest.raises(ImproperlyConfigured):
        stores.all_stores()
    settings.CATALOG_STORES = {"x": {"kind": "file"}}  # no path
    with pytest.raises(ImproperlyConfigured):
        stores.all_stores()


def test_system_checks_report_bad_store_settings(settings):
    from catalog import checks

    assert checks.image_store_configuration(None) == []
    settings.CATALOG_STORES = {"x": {"kind": "tape"}}
    [error] = checks.image_store_configuration(None)
    assert error.id == "catalog.E010" and "tape" in error.msg
    assert checks.exposed_store_locations(None) == []
    settings.CATALOG_SHOW_IMAGE_DIRECT_URL = True
    assert [w.id for w in checks.exposed_store_locations(None)] == ["catalog.W010"]
