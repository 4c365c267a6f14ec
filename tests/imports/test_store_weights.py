"""Store weights and ``?prefer=``: downloads read the heaviest store holding the image unless
``prefer`` names stores that do; ``/v2/info/stores/detail`` shows the weights; an ``http``
store entry in a multi-store configuration (glance-api.md's download section; glance-wave2
section 2.7)."""

import hashlib

import pytest

from catalog.models import ImageLocation
from tests.conftest import assert_status
from tests.imports.conftest import LOCATION_DATA as DATA

from .test_import_api import raw
from .test_multi_store import upload


@pytest.fixture
def weighted(settings, tmp_path):
    settings.CATALOG_STORES = {
        "light": {"kind": "file", "path": str(tmp_path / "light"), "weight": 10},
        "heavy": {"kind": "file", "path": str(tmp_path / "heavy"), "weight": 100},
    }
    settings.CATALOG_DEFAULT_STORE = "light"
    return tmp_path


def in_both_stores(alice, tmp_path):
    """An image uploaded to ``light`` whose ``heavy`` copy holds other bytes, so that a
    download shows which copy it read."""
    image = raw(alice)
    assert_status(upload(alice, image["id"], b"L" * 1000, store="light"), 204)
    (tmp_path / "heavy").mkdir()
    blob = tmp_path / "heavy" / image["id"]
    blob.write_bytes(b"H" * 1000)
    row = ImageLocation.objects.get(image_id=image["id"])
    ImageLocation.objects.create(image_id=image["id"], store="heavy", url=blob.as_uri())
    assert row.store == "light"
    return image["id"]


def body(response) -> bytes:
    return b"".join(assert_status(response, 200).streaming_content)


def test_weights_order_reads_and_prefer_overrides(alice, admin, weighted):
    image_id = in_both_stores(alice, weighted)
    path = f"/v2/images/{image_id}/file"
    assert body(alice.get(path)) == b"H" * 1000
    assert body(alice.get(path, prefer="light")) == b"L" * 1000
    assert body(alice.get(path, prefer="light,heavy")) == b"L" * 1000
    unknown = assert_status(alice.get(path, prefer="store9"), 400)
    assert unknown.json()["error"]["message"] == "Store 'store9' is not configured."
    detail = assert_status(admin.get("/v2/info/stores/detail"), 200).json()["stores"]
    assert {s["id"]: s["weight"] for s in detail} == {"light": 10, "heavy": 100}


def test_prefer_needs_multiple_stores(alice):
    image = raw(alice)
    response = assert_status(alice.get(f"/v2/images/{image['id']}/file", prefer="local"), 400)
    assert "multiple backends are not enabled" in response.json()["error"]["message"]


def test_an_http_store_entry_in_a_multi_store_site(
    alice, admin, settings, tmp_path, web, run_worker
):
    settings.CATALOG_HTTP_STORE = False
    settings.CATALOG_STORES = {
        "local": {"kind": "file", "path": str(tmp_path / "local")},
        "web": {"kind": "http", "description": "Web servers"},
    }
    settings.CATALOG_DEFAULT_STORE = "local"
    stores = assert_status(alice.get("/v2/info/stores"), 200).json()["stores"]
    assert {"id": "web", "description": "Web servers", "read-only": True} in stores
    image = raw(alice)
    url = f"{web.base}/small.img"
    assert_status(alice.post(f"/v2/images/{image['id']}/locations", {"url": url}), 202)
    run_worker()
    listed = assert_status(admin.get(f"/v2/images/{image['id']}/locations"), 200).json()
    assert listed == [{"url": url, "metadata": {"store": "web"}}]
    shown = assert_status(alice.get(f"/v2/images/{image['id']}"), 200).json()
    assert shown["stores"] == "web" and shown["checksum"] == hashlib.md5(DATA).hexdigest()
    # Uploads cannot go to it.
    other = raw(alice)
    assert_status(upload(alice, other["id"], b"x" * 10, store="web"), 410)
