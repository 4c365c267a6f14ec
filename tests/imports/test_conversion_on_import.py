"""Conversion of imported images with qemu-img (CATALOG_IMPORT_CONVERT_TO)."""

import subprocess

import pytest

from catalog.data import conversion
from catalog.models import Task
from tests.conftest import assert_status

from .test_import_api import import_, stage

pytestmark = pytest.mark.django_db(transaction=True)
needs_qemu = pytest.mark.skipif(not conversion.available(), reason=conversion.unavailable_reason())
MIB = 1024 * 1024


def qcow2_bytes(tmp_path, size="2M") -> bytes:
    path = tmp_path / "src.qcow2"
    subprocess.run(
        ["qemu-img", "create", "-f", "qcow2", str(path), size], check=True, capture_output=True
    )
    return path.read_bytes()


@needs_qemu
def test_a_qcow2_import_is_stored_as_raw(alice, run_worker, settings, tmp_path):
    settings.CATALOG_IMPORT_CONVERT_TO = "raw"
    image = alice.create_image(disk_format="qcow2", container_format="bare")
    assert_status(stage(alice, image["id"], qcow2_bytes(tmp_path)), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    run_worker()
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active", Task.objects.get().message
    assert (shown["disk_format"], shown["size"], shown["virtual_size"]) == ("raw", 2 * MIB, 2 * MIB)
    data = b"".join(alice.get(f"/v2/images/{image['id']}/file").streaming_content)
    assert data == b"\0" * (2 * MIB)


@needs_qemu
def test_unsafe_data_is_not_handed_to_qemu_img(
    alice, run_worker, settings, serve_bytes, open_loopback
):
    settings.CATALOG_IMPORT_CONVERT_TO = "raw"
    image = alice.create_image(disk_format="qcow2", container_format="bare")
    # A qcow2 header with a backing file, fetched by web-download (nothing inspected it yet):
    # the inspector refuses it before qemu-img could follow the backing file.
    header = bytearray(4096)
    header[0:4] = b"QFI\xfb"
    header[4:8] = (2).to_bytes(4, "big")
    header[8:16] = (512).to_bytes(8, "big")
    header[24:32] = (MIB).to_bytes(8, "big")
    body = {"method": {"name": "web-download", "uri": serve_bytes(bytes(header))}}
    assert_status(import_(alice, image["id"], body), 202)
    run_worker()
    task = Task.objects.get()
    assert task.status == "failure" and "safety checks" in task.message
    assert alice.get(f"/v2/images/{image['id']}").json()["status"] == "queued"


def test_without_qemu_img_imports_proceed_unconverted(alice, run_worker, settings, monkeypatch):
    monkeypatch.setattr(conversion, "available", lambda: False)
    settings.CATALOG_IMPORT_CONVERT_TO = "qcow2"
    image = alice.create_image(disk_format="raw", container_format="bare")
    assert_status(stage(alice, image["id"], b"r" * 1024), 204)
    assert_status(import_(alice, image["id"], {"method": {"name": "glance-direct"}}), 202)
    run_worker()
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert (shown["status"], shown["disk_format"]) == ("active", "raw")
