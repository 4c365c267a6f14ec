"""CATALOG_ENFORCE_METADEFS: image property values checked against their definitions."""

from dataclasses import replace

import pytest

from catalog.data.remote_images import RemoteImage
from catalog.services.imports import steps
from tests.conftest import PATCH21, assert_status

NS = "/v2/metadefs/namespaces"

HARDWARE = {
    "namespace": "Test::Hardware",
    "visibility": "public",
    "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
    "properties": {
        "disk_bus": {"title": "Disk bus", "type": "string", "enum": ["virtio", "scsi"]},
        "cpu_cores": {"title": "Cores", "type": "integer", "minimum": 1, "maximum": 8},
        "guest_agent": {"title": "Agent", "type": "boolean"},
        "machine": {"title": "Machine", "type": "string", "pattern": "^[a-z0-9.-]+$"},
    },
}


@pytest.fixture
def hardware(admin):
    assert_status(admin.post(NS, HARDWARE), 201)


@pytest.fixture
def enforce(settings):
    settings.CATALOG_ENFORCE_METADEFS = True


def test_off_by_default_as_glance(alice, hardware):
    alice.create_image(name="x", hw_disk_bus="virtioo")


@pytest.mark.parametrize(
    "key, value, rule",
    [
        ("hw_disk_bus", "virtioo", "must be one of virtio, scsi"),
        ("hw_cpu_cores", "9", "must be at most 8"),
        ("hw_cpu_cores", "two", "must be an integer"),
        ("hw_guest_agent", "maybe", "must be true or false"),
        ("hw_machine", "Q35!", "must match the pattern"),
    ],
)
def test_create_refuses_values_breaking_their_definition(
    alice, hardware, enforce, key, value, rule
):
    response = assert_status(alice.post("/v2/images", {"name": "x", key: value}), 400)
    message = response.json()["error"]["message"]
    assert "Test::Hardware" in message and rule in message and key in message
    assert alice.get("/v2/images").json()["images"] == []


def test_create_accepts_valid_and_undefined_values(alice, hardware, enforce):
    image = alice.create_image(
        name="x", hw_disk_bus="virtio", hw_cpu_cores="4", hw_guest_agent="true", other="any"
    )
    assert image["hw_cpu_cores"] == "4"
    # Without the prefix the name is not the defined property.
    alice.create_image(name="y", disk_bus="virtioo")


def test_patch_checks_new_and_changed_values_only(alice, hardware, enforce, settings):
    settings.CATALOG_ENFORCE_METADEFS = False
    image = alice.create_image(name="x", hw_disk_bus="virtioo")
    settings.CATALOG_ENFORCE_METADEFS = True
    url = f"/v2/images/{image['id']}"
    bad = [{"op": "add", "path": "/hw_cpu_cores", "value": "0"}]
    message = assert_status(alice.patch(url, bad), 400).json()["error"]["message"]
    assert "must be at least 1" in message
    # A value stored before enforcement does not block other edits.
    assert_status(alice.patch(url, [{"op": "replace", "path": "/name", "value": "y"}]), 200)
    fix = [{"op": "replace", "path": "/hw_disk_bus", "value": "scsi"}]
    assert (
        assert_status(alice.patch(url, fix, content_type=PATCH21), 200).json()["hw_disk_bus"]
        == "scsi"
    )


def test_only_namespaces_the_caller_sees_apply(admin, alice, bob, project_b, enforce):
    private = dict(HARDWARE, namespace="B::Only", visibility="private", owner=project_b.id)
    assert_status(admin.post(NS, private), 201)
    alice.create_image(name="x", hw_disk_bus="virtioo")
    assert_status(bob.post("/v2/images", {"name": "x", "hw_disk_bus": "virtioo"}), 400)


def test_glance_download_copied_properties_are_checked(
    alice, hardware, enforce, settings, monkeypatch
):
    """The properties a glance-download copies from the other region are judged too, before
    the image is touched."""
    remote = RemoteImage(
        file_url="https://region-two.example/v2/images/x/file",
        disk_format="raw",
        container_format="bare",
        properties={"hw_disk_bus": "virtioo"},
        size=512,
    )
    method = replace(steps.STEPS["glance-download"], look_up=lambda ctx, request: remote)
    monkeypatch.setitem(steps.STEPS, "glance-download", method)
    settings.CATALOG_ENABLED_IMPORT_METHODS = ["glance-direct", "glance-download"]
    image = alice.create_image(name="x")
    body = {
        "method": {
            "name": "glance-download",
            "glance_region": "RegionTwo",
            "glance_image_id": "a0000000-0000-4000-8000-000000000001",
        }
    }
    response = assert_status(alice.post(f"/v2/images/{image['id']}/import", body), 400)
    assert "hw_disk_bus" in response.json()["error"]["message"]
    after = alice.get(f"/v2/images/{image['id']}").json()
    assert after["status"] == "queued" and "hw_disk_bus" not in after
