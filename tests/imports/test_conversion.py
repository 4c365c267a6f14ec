"""Conversion with the real qemu-img (skipped, with the reason, where it is not installed)."""

import subprocess

import pytest

from catalog.data import conversion
from catalog.data.conversion import ConversionError

pytestmark = pytest.mark.skipif(not conversion.available(), reason=conversion.unavailable_reason())
MIB = 1024 * 1024


def qemu(*args):
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


def test_qcow2_converts_to_raw_with_the_same_virtual_size(tmp_path):
    source = tmp_path / "disk.qcow2"
    qemu("create", "-f", "qcow2", str(source), "4M")
    result = conversion.convert(source, "qcow2", "raw", tmp_path)
    assert result.disk_format == "raw"
    assert result.virtual_size == 4 * MIB
    assert result.path.exists() and result.path.parent == tmp_path


def test_raw_converts_to_qcow2(tmp_path):
    source = tmp_path / "disk.raw"
    source.write_bytes(b"\xab" * MIB)
    result = conversion.convert(source, "raw", "qcow2", tmp_path)
    assert result.disk_format == "qcow2" and result.virtual_size == MIB
    assert conversion.image_info(result.path, "qcow2")["format"] == "qcow2"


def test_backing_file_is_refused(tmp_path):
    base = tmp_path / "base.raw"
    base.write_bytes(b"\0" * MIB)
    overlay = tmp_path / "overlay.qcow2"
    qemu("create", "-f", "qcow2", "-b", str(base), "-F", "raw", str(overlay))
    with pytest.raises(ConversionError, match="backing file"):
        conversion.convert(overlay, "qcow2", "raw", tmp_path)
    assert not (tmp_path / "overlay.qcow2.raw").exists()


def test_external_data_file_is_refused(tmp_path):
    image = tmp_path / "d.qcow2"
    qemu("create", "-f", "qcow2", "-o", f"data_file={tmp_path / 'data.raw'}", str(image), "1M")
    with pytest.raises(ConversionError, match="external data file"):
        conversion.convert(image, "qcow2", "raw", tmp_path)


def test_flat_vmdk_is_refused_and_sparse_vmdk_accepted(tmp_path):
    flat = tmp_path / "flat.vmdk"
    qemu("create", "-f", "vmdk", "-o", "subformat=monolithicFlat", str(flat), "1M")
    with pytest.raises(ConversionError, match="VMDK type monolithicFlat"):
        conversion.convert(flat, "vmdk", "raw", tmp_path)
    sparse = tmp_path / "sparse.vmdk"
    qemu("create", "-f", "vmdk", "-o", "subformat=monolithicSparse", str(sparse), "1M")
    assert conversion.convert(sparse, "vmdk", "raw", tmp_path).virtual_size == MIB


def test_a_raw_file_claimed_as_qcow2_is_a_mismatch(tmp_path):
    fake = tmp_path / "fake.qcow2"
    fake.write_bytes(b"\0" * MIB)
    with pytest.raises(ConversionError, match="qemu-img info failed"):
        conversion.convert(fake, "qcow2", "raw", tmp_path)


def test_unknown_target_is_refused(tmp_path):
    with pytest.raises(ConversionError, match="Cannot convert to vdi"):
        conversion.convert(tmp_path / "x", "raw", "vdi", tmp_path)


def test_missing_qemu_img_is_reported_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(conversion, "qemu_img", lambda: None)
    assert not conversion.available()
    with pytest.raises(ConversionError, match="qemu-utils"):
        conversion.image_info(tmp_path / "x", "raw")
