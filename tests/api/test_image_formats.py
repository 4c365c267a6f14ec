"""Disk-format safety of uploads: small crafted images of each kind, malicious ones included.

The decision rules are Glance's (catalog/data/inspection.py lists them); the parsing is
oslo.utils' inspector.
"""

import struct

import pytest

from catalog.models import Image, ImageLocation
from tests.api.test_image_data import assert_queued_without_data, body, download, upload
from tests.conftest import assert_status

MiB = 1024 * 1024


def qcow2(virtual_size=10 * MiB, version=2, backing_offset=0, features=b"\0" * 8, total=4096):
    header = b"QFI\xfb" + struct.pack(">IQIIQ", version, backing_offset, 0, 16, virtual_size)
    header = header.ljust(0x48, b"\0") + features
    return header.ljust(total, b"\0")


def qcow2_with_data_file():
    # Incompatible feature bit 2 (external data file), CVE-2024-32498.
    return qcow2(version=3, features=b"\0" * 7 + b"\x04")


def vmdk_descriptor(create_type="monolithicSparse", extent='RW 2048 SPARSE "disk.vmdk"'):
    text = (
        "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
        f'createType="{create_type}"\n# Extent description\n{extent}\n'
    )
    return text.encode().ljust(1024, b"\n")


def mbr(partitions=((0x00, 0x83, 2048, 4096),), total=4096):
    """A classic MBR: (boot flag, type, first LBA, sectors) per partition entry."""
    sector = bytearray(512)
    for i, (boot, ostype, start, count) in enumerate(partitions):
        entry = struct.pack("<B3BB3BII", boot, 0, 2, 0, ostype, 0, 0, 0, start, count)
        sector[446 + 16 * i : 462 + 16 * i] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector).ljust(total, b"\0")


def iso(blocks=100, block_size=2048):
    descriptor = bytearray(2048)
    descriptor[0] = 1
    descriptor[1:6] = b"CD001"
    descriptor[80:84] = struct.pack("<I", blocks)
    descriptor[128:130] = struct.pack("<H", block_size)
    return bytes(32 * 1024) + bytes(descriptor) + bytes(2048)


def vhd(virtual_size=8 * MiB):
    footer = bytearray(512)
    footer[0:8] = b"conectix"
    footer[40:48] = struct.pack(">Q", virtual_size)
    return bytes(footer).ljust(4096, b"\0")


def vdi(virtual_size=4 * MiB):
    header = bytearray(512)
    header[0x40:0x44] = struct.pack("<I", 0xBEDA107F)
    header[0x170:0x178] = struct.pack("<Q", virtual_size)
    return bytes(header).ljust(4096, b"\0")


def image_of(persona, disk_format, container_format="bare"):
    return persona.create_image(disk_format=disk_format, container_format=container_format)


@pytest.mark.parametrize(
    "disk_format,data,virtual_size",
    [
        ("qcow2", qcow2(), 10 * MiB),  # as Glance 33 reports it
        ("qcow2", qcow2(version=3), 10 * MiB),
        ("iso", iso(), 100 * 2048),
        ("vhd", vhd(), 8 * MiB),
        ("vdi", vdi(), 4 * MiB),
        ("raw", b"plain bytes" * 100, 1100),
        ("raw", mbr(), 4096),  # a sane partition table is just a disk
        ("raw", qcow2(), 4096),  # raw accepts rich content: virtual_size is the byte count
        ("ami", b"kernel bytes" * 10, None),  # no inspector for ami: nothing to compare
    ],
)
def test_matching_content_is_accepted_with_virtual_size(alice, disk_format, data, virtual_size):
    image = image_of(alice, disk_format)
    assert_status(upload(alice, image["id"], data), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert shown["status"] == "active"
    assert shown["size"] == len(data)
    assert shown["virtual_size"] == virtual_size


@pytest.mark.parametrize(
    "disk_format,data",
    [("vhd", vhd(2**64 - 1)), ("vhd", vhd(2**63)), ("vdi", vdi(2**64 - 1))],
)
def test_an_impossible_virtual_size_is_415_and_nothing_kept(
    alice, disk_format, data, image_store_dir
):
    # Found by fuzzing: "conectix" followed by 0xff bytes was a 500 (bigint out of range on
    # PostgreSQL, OverflowError on SQLite) when the image was committed.
    image = image_of(alice, disk_format)
    error = assert_status(upload(alice, image["id"], data), 415).json()["error"]
    assert error["message"] == "Image format inspection failed"
    assert "virtual size" in error["details"]
    assert_queued_without_data(image["id"], image_store_dir)


def test_the_largest_storable_virtual_size_is_accepted(alice):
    image = image_of(alice, "vhd")
    assert_status(upload(alice, image["id"], vhd(2**63 - 1)), 204)
    assert alice.get(f"/v2/images/{image['id']}").json()["virtual_size"] == 2**63 - 1


UNSAFE = {
    "qcow2 backing file": ("qcow2", qcow2(backing_offset=512), "backing_file"),
    "qcow2 data file": ("qcow2", qcow2_with_data_file(), "data_file"),
    "qcow2 backing file uploaded as raw": ("raw", qcow2(backing_offset=512), "backing_file"),
    "qcow2 unknown version": ("qcow2", qcow2(version=7), "unknown_features"),
    "vmdk flat descriptor reading /etc/passwd": (
        "vmdk",
        vmdk_descriptor("monolithicFlat", 'RW 2048 FLAT "/etc/passwd" 0'),
        "descriptor",
    ),
    "vmdk sparse descriptor with a path extent": (
        "vmdk",
        vmdk_descriptor(extent='RW 2048 SPARSE "/etc/shadow"'),
        "descriptor",
    ),
    "vmdk descriptor uploaded as raw": (
        "raw",
        vmdk_descriptor("monolithicFlat", 'RW 2048 FLAT "/etc/passwd" 0'),
        "descriptor",
    ),
    "qed": ("raw", b"QED\0" + bytes(4092), "banned"),
    "mbr with a bad boot flag": ("raw", mbr(((0x42, 0x83, 2048, 4096),)), "mbr"),
    "mbr with no partition": ("raw", mbr(()), "mbr"),
    "gpt protective partition at a wrong LBA": ("raw", mbr(((0, 0xEE, 7, 4096),)), "mbr"),
    "gpt protective partition beside another": (
        "raw",
        mbr(((0, 0xEE, 1, 4096), (0, 0x83, 8192, 100))),
        "mbr",
    ),
}


@pytest.mark.parametrize("case", UNSAFE)
def test_unsafe_content_is_415_and_nothing_kept(alice, case, image_store_dir, settings):
    disk_format, data, check = UNSAFE[case]
    image = image_of(alice, disk_format)
    response = assert_status(upload(alice, image["id"], data), 415)
    error = response.json()["error"]
    assert error["message"] == f"Image failed safety checks: {error['details']}"
    assert check in error["details"]
    # Nothing of the refused upload survives (docs/glance-differences.md#failed-upload).
    assert_queued_without_data(image["id"], image_store_dir)
    assert_status(download(alice, image["id"]), 204)
    # The safety checks hold even when format mismatches are tolerated.
    settings.CATALOG_REQUIRE_IMAGE_FORMAT_MATCH = False
    assert_status(upload(alice, image["id"], data), 415)
    assert_queued_without_data(image["id"], image_store_dir)


def test_mismatch_is_415_and_a_retry_with_the_right_data_works(alice, image_store_dir):
    image = image_of(alice, "qcow2")
    response = assert_status(upload(alice, image["id"], bytes(4096)), 415)
    assert response.json()["error"]["message"] == (
        "Image disk_format qcow2 does not match stream data raw"
    )
    assert_queued_without_data(image["id"], image_store_dir)
    good = qcow2()
    assert_status(upload(alice, image["id"], good), 204)
    assert body(download(alice, image["id"])) == good
    assert Image.objects.get(pk=image["id"]).virtual_size == 10 * MiB


def test_backing_file_reason_is_in_the_message(alice):
    # The openstack CLI prints only the message: the reason must be in it (issue 6).
    image = image_of(alice, "qcow2")
    response = assert_status(upload(alice, image["id"], qcow2(backing_offset=0x200)), 415)
    assert response.json()["error"]["message"] == (
        "Image failed safety checks: backing_file: Image has a backing file"
    )


@pytest.mark.parametrize("disk_format", ["qcow2", "vmdk", "iso"])
def test_an_empty_upload_is_named_as_such(alice, disk_format, image_store_dir):
    # `openstack image create --disk-format qcow2` in a script uploads an empty stdin.
    image = image_of(alice, disk_format)
    response = assert_status(upload(alice, image["id"], b""), 415)
    message = response.json()["error"]["message"]
    assert message.startswith(f"The upload was empty (0 bytes): a {disk_format} image needs data.")
    assert "does not match" not in message
    assert_queued_without_data(image["id"], image_store_dir)


def test_an_empty_raw_upload_is_still_accepted(alice):
    image = image_of(alice, "raw")
    assert_status(upload(alice, image["id"], b""), 204)
    assert alice.get(f"/v2/images/{image['id']}").json()["size"] == 0


@pytest.mark.parametrize(
    "disk_format,data",
    [("vmdk", qcow2()), ("iso", vhd()), ("vhdx", b"x" * 4096), ("ari", qcow2())],
)
def test_other_mismatches_are_415(alice, disk_format, data):
    image = image_of(alice, disk_format)
    response = assert_status(upload(alice, image["id"], data), 415)
    assert "does not match stream data" in response.json()["error"]["message"]


def test_mismatch_allowed_when_configured(alice, settings):
    settings.CATALOG_REQUIRE_IMAGE_FORMAT_MATCH = False
    image = image_of(alice, "qcow2")
    assert_status(upload(alice, image["id"], bytes(4096)), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert (shown["status"], shown["virtual_size"]) == ("active", None)


def test_two_formats_in_one_file_are_refused(alice):
    # A qcow2 header that is also a valid MBR: one header hidden in another.
    data = bytearray(qcow2())
    data[446:462] = struct.pack("<B3BB3BII", 0, 0, 2, 0, 0x83, 0, 0, 0, 2048, 4096)
    data[510:512] = b"\x55\xaa"
    image = image_of(alice, "qcow2")
    response = assert_status(upload(alice, image["id"], bytes(data)), 415)
    error = response.json()["error"]
    assert error["message"] == "Image format inspection failed"
    assert "Multiple formats detected" in error["details"]


def test_bootable_iso_is_an_iso(alice):
    data = bytearray(iso())
    data[:512] = mbr(total=512)
    image = image_of(alice, "iso")
    assert_status(upload(alice, image["id"], bytes(data)), 204)
    assert Image.objects.get(pk=image["id"]).virtual_size == 100 * 2048


def test_kernel_images_tolerate_a_missing_partition_table(alice, settings):
    settings.CATALOG_REQUIRE_IMAGE_FORMAT_MATCH = False
    image = image_of(alice, "aki")
    assert_status(upload(alice, image["id"], mbr(())), 204)
    image = image_of(alice, "raw")
    assert_status(upload(alice, image["id"], mbr(())), 415)


def test_other_containers_are_not_inspected(alice):
    image = image_of(alice, "qcow2", container_format="ovf")
    assert_status(upload(alice, image["id"], qcow2(backing_offset=512)), 204)
    shown = alice.get(f"/v2/images/{image['id']}").json()
    assert (shown["status"], shown["virtual_size"]) == ("active", None)
    assert ImageLocation.objects.filter(image_id=image["id"]).count() == 1


def test_inspection_works_across_small_chunks(alice, settings):
    settings.CATALOG_DATA_CHUNK_SIZE = 65536
    data = iso(blocks=300) + bytes(200_000)
    image = image_of(alice, "iso")
    assert_status(upload(alice, image["id"], data), 204)
    assert Image.objects.get(pk=image["id"]).virtual_size == 300 * 2048
