"""Several stores: discovery, uploads to a chosen store, copy-image, per-store delete."""

import hashlib

import pytest

from catalog.models import ImageLocation
from tests.conftest import assert_status

from .test_import_api import import_, props, raw, stage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def three_stores(settings, tmp_path):
    settings.CATALOG_STORES = {
        "fast": {"kind": "file", "path": str(tmp_path / "fast"), "description": "SSD"},
        "cheap": {"kind": "file", "path": str(tmp_path / "cheap")},
        "archive": {"kind": "file", "path": str(tmp_path / "archive"), "read_only": True},
    }
    settings.CATALOG_DEFAULT_STORE = "fast"
    return tmp_path


def upload(persona, image_id, data, store=None):
    headers = persona._headers({"X-Image-Meta-Store": store} if store else None)
    return persona.client.generic(
        "PUT", f"/v2/images/{image_id}/file", data=data,
        content_type="application/octet-stream", headers=headers,
    )  # fmt: skip


def test_stores_discovery(alice, admin, three_stores):
    listed = assert_status(alice.get("/v2/info/stores"), 200).json()["stores"]
    assert listed == [
        {"id": "fast", "description": "SSD", "default": True},
        {"id": "cheap"},
        {"id": "archive", "read-only": True},
    ]
    assert_status(alice.get("/v2/info/stores/detail"), 403)
    detail = assert_status(admin.get("/v2/info/stores/detail"), 200).json()["stores"]
    assert [s["type"] for s in detail] == ["file", "file", "file"]
    assert detail[0]["properties"]["data_dir"].endswith("/fast")


def test_create_lists_only_user_visible_stores(alice, three_stores):
    response = assert_status(alice.post("/v2/images", {}), 201)
    assert response["OpenStack-image-store-ids"] == "fast,cheap,archive"


def test_copy_image_adds_a_copy_in_another_store(admin, alice, three_stores, run_worker):
    image = raw(alice)
    data = b"copy me" * 1000
    assert_status(upload(alice, image["id"], data), 204)
    assert alice.get(f"/v2/images/{image['id']}").json()["stores"] == "fast"
    # copy-image is admin-only (Glance's copy_image policy).
    body = {"method": {"name": "copy-image"}, "stores": ["cheap"]}
    assert_status(import_(alice, image["id"], body), 403)
    assert_status(import_(admin, image["id"], body), 202)
    assert props(image["id"])["os_glance_importing_to_stores"] == "cheap"
    assert alice.get(f"/v2/images/{image['id']}").json()["status"] == "active"
    run_worker()
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["stores"] == "fast,cheap" and shown["status"] == "active"
    assert shown["os_glance_importing_to_stores"] == ""
    copy = (three_stores / "cheap" / image["id"]).read_bytes()
    assert hashlib.md5(copy).hexdigest() == shown["checksum"]
    # Asking again for a store that holds it: 400; all_stores skips those that do.
    again = assert_status(import_(admin, image["id"], body), 400)
    assert "already present at store 'cheap'" in again.json()["error"]["message"]
    from catalog.models import Task

    tasks = Task.objects.count()
    everywhere = {"method": {"name": "copy-image"}, "all_stores": True}
    assert_status(import_(admin, image["id"], everywhere), 202)  # nothing left to copy: no-op
    assert Task.objects.count() == tasks


def test_import_to_chosen_stores_and_read_only_refusal(alice, three_stores, run_worker):
    image = raw(alice)
    assert_status(stage(alice, image["id"], b"s" * 100), 204)
    refused = import_(
        alice, image["id"], {"method": {"name": "glance-direct"}, "stores": ["archive"]}
    )
    assert "archive is not available" in assert_status(refused, 409).json()["error"]["message"]
    body = {"method": {"name": "glance-direct"}, "stores": ["fast", "cheap"]}
    assert_status(import_(alice, image["id"], body), 202)
    run_worker()
    assert alice.get(f"/v2/images/{image['id']}").json()["stores"] == "fast,cheap"


def test_upload_to_a_chosen_store(alice, three_stores):
    image = raw(alice)
    assert_status(upload(alice, image["id"], b"x" * 10, store="cheap"), 204)
    assert alice.get(f"/v2/images/{image['id']}").json()["stores"] == "cheap"
    other = raw(alice)
    assert_status(upload(alice, other["id"], b"x", store="nope"), 400)
    assert_status(upload(alice, other["id"], b"x", store="archive"), 410)


def test_delete_from_one_store(admin, alice, three_stores, run_worker):
    image = raw(alice)
    assert_status(upload(alice, image["id"], b"d" * 10), 204)
    path = f"/v2/stores/fast/{image['id']}"
    only = assert_status(admin.delete(path), 403)
    assert "only store containing it" in only.json()["error"]["message"]
    assert_status(
        import_(admin, image["id"], {"method": {"name": "copy-image"}, "stores": ["cheap"]}), 202
    )
    run_worker()
    assert_status(alice.delete(path), 403)  # delete_image_location is admin-only
    assert_status(admin.delete(f"/v2/stores/nope/{image['id']}"), 409)
    assert_status(admin.delete(path), 204)
    assert not (three_stores / "fast" / image["id"]).exists()
    assert list(ImageLocation.objects.values_list("store", flat=True)) == ["cheap"]
    assert_status(admin.delete(path), 404)
    downloaded = b"".join(alice.get(f"/v2/images/{image['id']}/file").streaming_content)
    assert downloaded == b"d" * 10


def test_per_store_delete_needs_multi_store(admin, alice):
    image = raw(alice)
    assert_status(admin.delete(f"/v2/stores/local/{image['id']}"), 404)
