"""The image cache: /v2/cache (admins only, 404 without CATALOG_IMAGE_CACHE_DIR), downloads
filling it and served from it, eviction on delete and deactivation (glance-wave2 section 3)."""

import time

import pytest
from django.core.management import call_command

from catalog import checks
from catalog.models import CacheEntry
from tests.api.test_image_data import raw_image, upload
from tests.conftest import assert_status, make_persona

DATA = bytes(range(256)) * 8  # 2 KiB
NODE = "http://node-a.test:9292"


@pytest.fixture
def cache_on(settings, tmp_path):
    settings.CATALOG_IMAGE_CACHE_DIR = str(tmp_path / "cache")
    settings.CATALOG_NODE_URL = NODE
    settings.CATALOG_IMAGE_CACHE_MAX_SIZE = 10 * 1024 * 1024
    return tmp_path / "cache"


def active_image(persona, data=DATA):
    image = raw_image(persona)
    assert_status(upload(persona, image["id"], data), 204)
    return image["id"]


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def run_worker():
    call_command("run_worker", batch=True, verbosity=0)


def test_every_route_is_404_without_the_cache(admin, settings):
    settings.CATALOG_IMAGE_CACHE_DIR = ""
    for method, path in [
        ("GET", "/v2/cache"),
        ("DELETE", "/v2/cache"),
        ("PUT", "/v2/cache/x"),
        ("DELETE", "/v2/cache/x"),
        ("GET", "/v2/cache/nodes/x"),
        ("POST", "/v2/cache/clean"),
        ("POST", "/v2/cache/prune"),
    ]:
        response = assert_status(admin.request(method, path), 404)
        assert (
            response.json()["error"]["message"] == "Caching via API is not supported at this site."
        )


def test_cache_routes_are_for_admins(alice, carol, project_a, cache_on):
    image_id = active_image(alice)
    service = make_persona("nova", project_a, "service")
    for persona in (alice, carol, service):
        denied = assert_status(persona.get("/v2/cache"), 403)
        assert denied.json()["error"]["message"] == (
            "You are not authorized to complete cache_list action."
        )
        assert_status(persona.delete("/v2/cache"), 403)
        assert_status(persona.post("/v2/cache/clean"), 403)
        assert_status(persona.post("/v2/cache/prune"), 403)
    # Routes on one image: 403 for callers who can see it (a service-only role cannot: 404).
    for persona in (alice, carol):
        assert_status(persona.put(f"/v2/cache/{image_id}"), 403)
        assert_status(persona.delete(f"/v2/cache/{image_id}"), 403)
        assert_status(persona.get(f"/v2/cache/nodes/{image_id}"), 403)
    assert_status(service.put(f"/v2/cache/{image_id}"), 404)


def test_queue_then_prefetch_then_hit(admin, alice, cache_on):
    assert assert_status(admin.get("/v2/cache"), 200).json() == {
        "cached_images": [],
        "queued_images": [],
    }
    missing = assert_status(admin.put("/v2/cache/non-existing-image-id"), 404)
    assert missing.json()["error"]["message"] == "Image non-existing-image-id not found."
    queued = raw_image(alice)
    refused = assert_status(admin.put(f"/v2/cache/{queued['id']}"), 400)
    assert (
        refused.json()["error"]["message"]
        == "Only images with status active can be targeted for queueing"
    )
    image_id = active_image(alice)
    assert_status(admin.put(f"/v2/cache/{image_id}"), 202)
    assert assert_status(admin.get("/v2/cache"), 200).json()["queued_images"] == [image_id]
    run_worker()
    listed = assert_status(admin.get("/v2/cache"), 200).json()
    assert listed["queued_images"] == []
    (entry,) = listed["cached_images"]
    assert (entry["image_id"], entry["size"], entry["hits"], entry["checksum"]) == (
        image_id,
        len(DATA),
        0,
        None,
    )
    assert isinstance(entry["last_accessed"], float) and isinstance(entry["last_modified"], float)
    assert_status(admin.put(f"/v2/cache/{image_id}"), 202)  # already cached: nothing changes
    assert assert_status(admin.get(f"/v2/cache/nodes/{image_id}"), 200).json() == [NODE]
    hit = assert_status(alice.get(f"/v2/images/{image_id}/file"), 200)
    assert hit.file_to_stream is not None  # sendfile
    assert content(hit) == DATA and hit["Content-Length"] == str(len(DATA))
    part = assert_status(
        alice.get(f"/v2/images/{image_id}/file", headers={"Range": "bytes=4-7"}), 206
    )
    assert content(part) == DATA[4:8]
    assert assert_status(admin.get("/v2/cache"), 200).json()["cached_images"][0]["hits"] == 2


def test_first_download_fills_the_cache_and_a_range_does_not(admin, alice, cache_on):
    image_id = active_image(alice)
    part = alice.get(f"/v2/images/{image_id}/file", headers={"Range": "bytes=0-9"})
    assert content(assert_status(part, 206)) == DATA[:10]
    assert assert_status(admin.get("/v2/cache"), 200).json()["cached_images"] == []
    assert content(assert_status(alice.get(f"/v2/images/{image_id}/file"), 200)) == DATA
    assert [e["image_id"] for e in admin.get("/v2/cache").json()["cached_images"]] == [image_id]
    assert (cache_on / image_id).read_bytes() == DATA


def test_truncated_copy_is_never_served_and_is_refetched(admin, alice, cache_on):
    image_id = active_image(alice)
    content(alice.get(f"/v2/images/{image_id}/file"))
    (cache_on / image_id).write_bytes(DATA[:100])
    again = assert_status(alice.get(f"/v2/images/{image_id}/file"), 200)
    assert again.file_to_stream is None  # from the store, refilling
    assert content(again) == DATA
    assert (cache_on / image_id).read_bytes() == DATA


def test_deletes_and_clears(admin, alice, cache_on, settings):
    first, second = active_image(alice), active_image(alice, DATA[::-1])
    for image_id in (first, second):
        content(alice.get(f"/v2/images/{image_id}/file"))
    # Another node holds a copy too: a delete here marks it for that node's worker.
    CacheEntry.objects.create(
        node="http://node-b.test", image_id=first, state="cached", size=len(DATA)
    )
    assert_status(admin.delete(f"/v2/cache/{first}"), 204)
    assert not (cache_on / first).exists()
    assert CacheEntry.objects.get(image_id=first).state == "evict"
    assert_status(admin.delete(f"/v2/cache/{first}"), 204)  # idempotent while the image exists
    assert_status(admin.delete("/v2/cache/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12), 404)
    bad = assert_status(
        admin.delete("/v2/cache", headers={"x-image-cache-clear-target": "nope"}), 400
    )
    assert "'cache', 'queue', 'both'" in bad.json()["error"]["message"]
    third = active_image(alice)
    assert_status(admin.put(f"/v2/cache/{third}"), 202)
    assert_status(admin.delete("/v2/cache", headers={"x-image-cache-clear-target": "QUEUE"}), 204)
    listed = admin.get("/v2/cache").json()
    assert listed["queued_images"] == [] and len(listed["cached_images"]) == 1
    assert_status(admin.delete("/v2/cache", headers={"x-image-cache-clear-target": "both"}), 204)
    assert admin.get("/v2/cache").json() == {"cached_images": [], "queued_images": []}
    assert not (cache_on / second).exists()
    # Node B's worker applies its evictions.
    settings.CATALOG_NODE_URL = "http://node-b.test"
    run_worker()
    assert not CacheEntry.objects.exists()


def test_image_delete_and_deactivate_evict(admin, alice, cache_on):
    first, second = active_image(alice), active_image(alice)
    for image_id in (first, second):
        content(alice.get(f"/v2/images/{image_id}/file"))
    assert_status(alice.delete(f"/v2/images/{first}"), 204)
    assert_status(admin.post(f"/v2/images/{second}/actions/deactivate"), 204)
    assert not (cache_on / first).exists() and not (cache_on / second).exists()
    assert admin.get("/v2/cache").json()["cached_images"] == []
    denied = assert_status(alice.get(f"/v2/images/{second}/file"), 403)
    assert "deactivated" in denied.json()["error"]["message"]
    assert content(assert_status(admin.get(f"/v2/images/{second}/file"), 200)) == DATA
    assert admin.get("/v2/cache").json()["cached_images"] == []  # never cached


def test_prune_keeps_the_most_recently_used(admin, alice, cache_on, settings):
    settings.CATALOG_IMAGE_CACHE_MAX_SIZE = 10**9
    first, second = active_image(alice), active_image(alice)
    for image_id in (first, second):
        content(alice.get(f"/v2/images/{image_id}/file"))
    content(alice.get(f"/v2/images/{first}/file"))  # first is now the most recently used
    settings.CATALOG_IMAGE_CACHE_MAX_SIZE = 3000
    pruned = assert_status(admin.post("/v2/cache/prune"), 200).json()
    assert pruned == {"total_files_pruned": 1, "total_bytes_pruned": len(DATA)}
    assert [e["image_id"] for e in admin.get("/v2/cache").json()["cached_images"]] == [first]
    again = assert_status(admin.post("/v2/cache/prune"), 200).json()
    assert again == {"total_files_pruned": 0, "total_bytes_pruned": 0}
    assert_status(admin.post("/v2/cache/clean"), 200)
    assert assert_status(admin.get(f"/v2/cache/nodes/{second}"), 200).json() == []


def test_cache_routes_reject_bodies_and_wrong_methods(admin, cache_on):
    assert_status(admin.request("GET", "/v2/cache", raw='{"a": 1}'), 400)
    assert assert_status(admin.post("/v2/cache"), 405)["Allow"] == "GET, DELETE"
    assert assert_status(admin.get("/v2/cache/clean"), 405)["Allow"] == "POST"


def test_deploy_check_wants_the_node_url_with_the_cache(settings, tmp_path):
    settings.CATALOG_IMAGE_CACHE_DIR = str(tmp_path)
    settings.CATALOG_NODE_URL = ""
    assert [w.id for w in checks.image_cache_node(None)] == ["catalog.W044"]
    settings.CATALOG_NODE_URL = NODE
    assert checks.image_cache_node(None) == []


def test_the_worker_removes_what_a_dead_fill_left(alice, cache_on):
    image_id = active_image(alice)
    (cache_on / "incomplete").mkdir(parents=True)
    (cache_on / "incomplete" / image_id).write_bytes(DATA[:10])
    run_worker()
    assert not (cache_on / "incomplete" / image_id).exists()
    assert content(assert_status(alice.get(f"/v2/images/{image_id}/file"), 200)) == DATA


def test_nul_in_a_cache_path_is_a_404(admin, cache_on):
    for method, path in [
        ("DELETE", "/v2/cache/a%00b"),
        ("PUT", "/v2/cache/a%00b"),
        ("GET", "/v2/cache/nodes/a%00b"),
    ]:
        assert_status(admin.request(method, path), 404)


def test_a_prefetch_whose_data_does_not_match_keeps_nothing(
    admin, alice, cache_on, image_store_dir
):
    image_id = active_image(alice)
    (image_store_dir / image_id).write_bytes(DATA[::-1])  # same size, other bytes
    assert_status(admin.put(f"/v2/cache/{image_id}"), 202)
    run_worker()
    assert admin.get("/v2/cache").json() == {"cached_images": [], "queued_images": []}
    assert not (cache_on / image_id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_queued_image_is_fetched_at_once(admin, alice, cache_on):
    image_id = active_image(alice)
    assert_status(admin.put(f"/v2/cache/{image_id}"), 202)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listed = admin.get("/v2/cache").json()
        if listed["cached_images"]:
            break
        time.sleep(0.05)
    assert [e["image_id"] for e in listed["cached_images"]] == [image_id]
    assert listed["queued_images"] == []
    assert (cache_on / image_id).read_bytes() == DATA
