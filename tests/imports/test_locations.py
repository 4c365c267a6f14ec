"""The locations API (``POST``/``GET /v2/images/{id}/locations``) end to end through the
worker, the read-only http store, and who sees location URLs (glance-wave2 section 2)."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.data.stores import StoreError
from catalog.models import Image, ImageLocation, ImageProperty, Lease, Task
from catalog.services import recovery
from catalog.services.imports import task_record
from tests.conftest import assert_status, make_persona
from tests.imports.conftest import LOCATION_DATA as DATA
from tests.imports.conftest import raw_image


@pytest.fixture
def nova(project_a):
    return make_persona("nova", project_a, "service")


def add(persona, image_id, body):
    return persona.post(f"/v2/images/{image_id}/locations", body)


def test_location_with_secure_hashing_activates_after_the_data_is_hashed(
    alice, admin, web, run_worker
):
    image = raw_image(alice)
    assert_status(add(alice, image["id"], {"url": f"{web.base}/small.img"}), 202)
    # Not active before the worker has read the data (Glance activates first).
    assert Image.objects.get(pk=image["id"]).status == "importing"
    run_worker()
    row = Image.objects.get(pk=image["id"])
    assert row.status == "active"
    assert row.size == len(DATA)
    assert row.checksum == hashlib.md5(DATA).hexdigest()
    assert (row.os_hash_algo, row.os_hash_value) == ("sha512", hashlib.sha512(DATA).hexdigest())
    task = Task.objects.get(image_id=image["id"])
    assert (task.type, task.status, task.result) == (
        "location_import",
        "success",
        {"image_id": image["id"]},
    )
    listed = assert_status(admin.get(f"/v2/images/{image['id']}/locations"), 200).json()
    assert listed == [{"url": f"{web.base}/small.img", "metadata": {}}]
    # Served through the catalog from the web server, whole and ranged.
    whole = assert_status(alice.get(f"/v2/images/{image['id']}/file"), 200)
    assert b"".join(whole.streaming_content) == DATA
    part = alice.get(f"/v2/images/{image['id']}/file", headers={"Range": "bytes=10-19"})
    assert_status(part, 206)
    assert b"".join(part.streaming_content) == DATA[10:20]
    # Adding again to the active image: 409.
    again = add(alice, image["id"], {"url": f"{web.base}/small.img"})
    assert_status(again, 409)
    assert "if image status is active" in again.json()["error"]["message"]


def test_matching_sha256_validation_data_keeps_the_given_algorithm(alice, web, run_worker):
    image = raw_image(alice)
    data = {"os_hash_algo": "sha256", "os_hash_value": hashlib.sha256(DATA).hexdigest()}
    body = {"url": f"{web.base}/small.img", "validation_data": data}
    assert_status(add(alice, image["id"], body), 202)
    run_worker()
    row = Image.objects.get(pk=image["id"])
    assert (row.status, row.os_hash_algo, row.os_hash_value) == (
        "active",
        "sha256",
        data["os_hash_value"],
    )


def test_mismatching_validation_data_fails_cleanly_and_a_retry_works(alice, web, run_worker):
    image = raw_image(alice)
    url = f"{web.base}/small.img"
    wrong = {"os_hash_algo": "sha512", "os_hash_value": "ab" * 64}
    assert_status(add(alice, image["id"], {"url": url, "validation_data": wrong}), 202)
    run_worker()
    row = Image.objects.get(pk=image["id"])
    assert (row.status, row.size, row.checksum, row.os_hash_value) == ("queued", None, None, None)
    # Glance leaves the http location attached (W20); nothing is attached here.
    assert not ImageLocation.objects.filter(image_id=image["id"]).exists()
    task = Task.objects.get(image_id=image["id"])
    assert task.status == "failure" and "does not match the validation data" in task.message
    # The same URL with the right data works.
    right = {"os_hash_algo": "sha512", "os_hash_value": hashlib.sha512(DATA).hexdigest()}
    assert_status(add(alice, image["id"], {"url": url, "validation_data": right}), 202)
    run_worker()
    assert Image.objects.get(pk=image["id"]).status == "active"


def test_without_secure_hashing_values_are_copied_unverified(alice, web, run_worker, settings):
    settings.CATALOG_LOCATIONS_SECURE_HASH = False
    image = raw_image(alice)
    given = {"os_hash_algo": "sha512", "os_hash_value": "cd" * 64}
    body = {"url": f"{web.base}/small.img", "validation_data": given}
    assert_status(add(alice, image["id"], body), 202)
    run_worker()
    row = Image.objects.get(pk=image["id"])
    assert (row.status, row.size, row.checksum) == ("active", len(DATA), None)
    assert row.os_hash_value == "cd" * 64
    assert web.gets == 0  # never read


def test_a_url_answering_404_fails_the_task_with_its_reason(alice, web, run_worker):
    image = raw_image(alice)
    assert_status(add(alice, image["id"], {"url": f"{web.base}/missing.img"}), 202)
    run_worker()
    assert Image.objects.get(pk=image["id"]).status == "queued"
    task = Task.objects.get(image_id=image["id"])
    assert task.status == "failure" and "404" in task.message


@pytest.mark.parametrize(
    "validation_data, fragment",
    [
        ({"os_hash_algo": "sha123", "os_hash_value": "ab"}, "is not one of"),
        ({"os_hash_algo": "sha512", "os_hash_value": "ab" * 32}, "is not the correct size"),
        ({"os_hash_algo": "sha512", "os_hash_value": "z" * 128}, "not a valid hexadecimal"),
        ({"os_hash_algo": "sha512"}, "'os_hash_value' is a dependency of 'os_hash_algo'"),
        ({"os_hash_value": "ab"}, "'os_hash_algo' is a dependency of 'os_hash_value'"),
        ({"checksum": "ab", "os_hash_algo": "md5", "os_hash_value": "ab"}, "Additional properties"),
        ({"os_hash_algo": "sha512", "os_hash_value": "a" * 129}, "at most 128"),
        (None, "is not of type 'object'"),
    ],
)
def test_validation_data_errors_are_400(alice, web, validation_data, fragment):
    image = raw_image(alice)
    body = {"url": f"{web.base}/small.img", "validation_data": validation_data}
    response = assert_status(add(alice, image["id"], body), 400)
    assert fragment in response.json()["error"]["message"]


def test_request_errors(alice, bob, carol, web):
    image = raw_image(alice)
    path = f"/v2/images/{image['id']}/locations"
    assert_status(alice.post(path, {}), 400)  # missing url
    assert_status(alice.post(path, {"url": 5}), 400)
    assert_status(alice.post(path, {"url": f"{web.base}/x", "metadata": {}}), 400)
    assert_status(alice.request("POST", path, raw="{nope"), 400)
    assert_status(alice.post(path), 400)  # no body
    reader = assert_status(add(carol, image["id"], {"url": f"{web.base}/small.img"}), 403)
    assert reader.json()["error"]["message"] == (
        "You are not authorized to complete add_image_location action."
    )
    assert_status(add(bob, image["id"], {"url": f"{web.base}/small.img"}), 404)
    assert_status(add(alice, "0" * 8 + "-0000-0000-0000-" + "0" * 12, {"url": "http://x"}), 404)
    for url in ("file:///etc/passwd", "gopher://127.0.0.1/x", "ftp://127.0.0.1/x"):
        refused = assert_status(add(alice, image["id"], {"url": url}), 403)
        assert refused.json()["error"]["message"] == (
            "http store must be enabled to use location API by normal user."
        )
    filtered = assert_status(add(alice, image["id"], {"url": "http://10.1.2.3:9401/x"}), 400)
    assert filtered.json()["error"]["message"] == (
        "URI for add location does not pass filtering: http://10.1.2.3:9401/x"
    )
    assert Image.objects.get(pk=image["id"]).status == "queued"
    assert not Task.objects.exists()


def test_without_the_http_store_users_cannot_add_http_locations(alice, web, settings):
    settings.CATALOG_HTTP_STORE = False
    image = raw_image(alice)
    assert_status(add(alice, image["id"], {"url": f"{web.base}/small.img"}), 403)


def test_get_locations_is_for_services_and_admins(alice, carol, admin, nova, bob, web):
    image = raw_image(alice)
    path = f"/v2/images/{image['id']}/locations"
    for persona in (alice, carol):
        denied = assert_status(persona.get(path), 403)
        assert denied.json()["error"]["message"] == (
            "You are not authorized to complete fetch_image_location action."
        )
    assert assert_status(admin.get(path), 200).json() == []
    assert assert_status(nova.get(path), 200).json() == []
    assert_status(bob.get(path), 404)
    # A body is a 400 (Glance: 500), and PUT lists both methods.
    with_body = admin.request("GET", path, raw='{"a": 1}')
    assert_status(with_body, 400)
    put = assert_status(admin.put(path, {}), 405)
    assert put["Allow"] == "GET, POST"


def test_service_may_add_a_file_url_of_a_configured_store(alice, nova, run_worker, image_store_dir):
    image = raw_image(alice)
    image_store_dir.mkdir(parents=True, exist_ok=True)
    blob = image_store_dir / "external-blob"
    blob.write_bytes(DATA)
    assert_status(add(nova, image["id"], {"url": blob.as_uri()}), 202)
    run_worker()
    row = Image.objects.get(pk=image["id"])
    assert (row.status, row.size) == ("active", len(DATA))
    outside = raw_image(alice)
    assert_status(add(nova, outside["id"], {"url": "file:///etc/hostname"}), 202)
    run_worker()
    assert Image.objects.get(pk=outside["id"]).status == "queued"


def test_locations_are_shown_to_the_owner_and_admins_only(
    alice, bob, admin, web, run_worker, settings
):
    settings.CATALOG_SHOW_MULTIPLE_LOCATIONS = True
    settings.CATALOG_SHOW_IMAGE_DIRECT_URL = True
    image = raw_image(alice, visibility="community")
    url = f"{web.base}/small.img"
    assert_status(add(alice, image["id"], {"url": url}), 202)
    run_worker()
    own = assert_status(alice.get(f"/v2/images/{image['id']}"), 200).json()
    assert own["locations"] == [{"url": url, "metadata": {}}] and own["direct_url"] == url
    other = assert_status(bob.get(f"/v2/images/{image['id']}"), 200).json()
    assert "locations" not in other and "direct_url" not in other
    listed = assert_status(bob.get("/v2/images"), 200).json()["images"]
    assert all("locations" not in view for view in listed)
    assert assert_status(admin.get(f"/v2/images/{image['id']}"), 200).json()["direct_url"] == url


def test_urls_with_credentials_are_never_shown_to_non_admins(alice, admin, settings):
    settings.CATALOG_SHOW_MULTIPLE_LOCATIONS = True
    image = raw_image(alice)
    row = Image.objects.get(pk=image["id"])
    ImageLocation.objects.create(image=row, store="local", url="s3://key:secret@host/b/o")
    ImageLocation.objects.create(image=row, store="local", url="http://host/x?sig=abc")
    assert assert_status(alice.get(f"/v2/images/{image['id']}"), 200).json()["locations"] == []
    shown = assert_status(admin.get(f"/v2/images/{image['id']}"), 200).json()["locations"]
    assert len(shown) == 2


def test_a_changed_remote_file_is_never_served_as_the_image(alice, web, run_worker):
    image = raw_image(alice)
    assert_status(add(alice, image["id"], {"url": f"{web.base}/small.img"}), 202)
    run_worker()
    web.files["/small.img"] = DATA[:-1] + b"X"
    response = alice.get(f"/v2/images/{image['id']}/file")
    with pytest.raises(StoreError, match="does not match the image's checksum"):
        b"".join(response.streaming_content)
    location = ImageLocation.objects.get(image_id=image["id"])
    assert location.status == ImageLocation.FAILED
    assert_status(alice.get(f"/v2/images/{image['id']}/file"), 204)


def test_deleting_an_http_image_leaves_the_remote_file(alice, web, run_worker):
    image = raw_image(alice)
    assert_status(add(alice, image["id"], {"url": f"{web.base}/small.img"}), 202)
    run_worker()
    assert_status(alice.delete(f"/v2/images/{image['id']}"), 204)
    assert web.files["/small.img"] == DATA


def dead_location_import(alice, web):
    """What a worker killed while hashing leaves: the task processing with its lease, the
    image importing and locked."""
    image = raw_image(alice)
    assert_status(add(alice, image["id"], {"url": f"{web.base}/small.img"}), 202)
    task = Task.objects.get(image_id=image["id"])
    task_record.claim(task.pk)
    Lease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    return image["id"], task


def test_a_dead_location_import_is_requeued_then_completes(alice, web, run_worker):
    image_id, task = dead_location_import(alice, web)
    assert recovery.sweep()["requeued"] == 1
    task.refresh_from_db()
    assert task.status == "pending" and "Restarted" in task.message
    run_worker()
    assert Image.objects.get(pk=image_id).status == "active"
    assert not Lease.objects.exists()


def test_a_dead_location_import_out_of_attempts_fails_and_unlocks(alice, web, settings):
    settings.CATALOG_IMPORT_MAX_ATTEMPTS = 1
    image_id, task = dead_location_import(alice, web)
    assert recovery.sweep()["failed"] == 1
    task.refresh_from_db()
    assert task.status == "failure" and "interrupted" in task.message
    assert Image.objects.get(pk=image_id).status == "queued"
    assert not ImageProperty.objects.filter(image_id=image_id, name="os_glance_import_task")
    assert not ImageLocation.objects.filter(image_id=image_id).exists()
    assert_status(add(alice, image_id, {"url": f"{web.base}/small.img"}), 202)


def test_nul_in_a_location_is_a_400(alice, nova, web, settings):
    image = raw_image(alice)
    for persona in (alice, nova):
        response = add(persona, image["id"], {"url": "file:///x\u0000y"})
        assert_status(response, 400)
    settings.CATALOG_SHOW_MULTIPLE_LOCATIONS = True
    value = {"url": f"{web.base}/small.img", "metadata": {"k": "a\u0000b"}}
    op = {"op": "add", "path": "/locations/-", "value": value}
    assert_status(alice.patch(f"/v2/images/{image['id']}", [op]), 400)
    assert not Task.objects.exists()


def test_the_http_store_beside_a_single_store_keeps_the_site_single_store(alice, web, run_worker):
    assert_status(alice.get("/v2/info/stores"), 404)  # multi-store only, as before
    created = assert_status(alice.post("/v2/images", {}), 201)
    assert "OpenStack-image-store-ids" not in created
    image = raw_image(alice)
    assert_status(add(alice, image["id"], {"url": f"{web.base}/small.img"}), 202)
    run_worker()
    assert "stores" not in assert_status(alice.get(f"/v2/images/{image['id']}"), 200).json()
