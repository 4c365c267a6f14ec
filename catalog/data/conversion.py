"""Disk-image conversion on import, with qemu-img (Debian's ``qemu-utils``).

qemu-img parses hostile input, so it only ever sees data that the format inspector has
already accepted, it runs under ``prlimit`` (address space and CPU time), it is always told
the source format (``-f``: never probing, which is what lets a raw image pretend to be a
qcow2 with a backing file), and what it reports is checked again: no backing file, no
external data file, only the VMDK subformats that cannot reference other files.

When qemu-img is not installed, conversion is unavailable and says so; nothing else breaks.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Formats qemu-img can write and we offer as a conversion target.
TARGET_FORMATS = ("raw", "qcow2", "vmdk")
# qemu-img's own names where they differ from the Image API's disk_format values.
QEMU_FORMAT_NAMES = {"vhd": "vpc"}
SAFE_VMDK_TYPES = ("streamOptimized", "monolithicSparse")
INFO_LIMITS = ("--as=1073741824", "--cpu=30")
CONVERT_LIMITS = ("--as=2147483648", "--cpu=3600")


class ConversionError(Exception):
    """Conversion refused or failed; the message is meant for the task record."""


@dataclass(frozen=True)
class Converted:
    path: Path
    disk_format: str
    size: int
    virtual_size: int | None


def qemu_img() -> str | None:
    return shutil.which("qemu-img")


def available() -> bool:
    return qemu_img() is not None and shutil.which("prlimit") is not None


def unavailable_reason() -> str:
    return "Image conversion needs qemu-img (Debian package qemu-utils), which is not installed."


def _run(limits, args, timeout: int) -> subprocess.CompletedProcess:
    if not available():
        raise ConversionError(unavailable_reason())
    command = ["prlimit", *limits, "--", qemu_img(), *args]
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ConversionError(f"qemu-img {args[0]} took longer than {timeout} s.") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise ConversionError(f"qemu-img {args[0]} failed: {detail[0]}")
    return result


def image_info(path: Path, disk_format: str) -> dict:
    """qemu-img's description of ``path``, read as ``disk_format`` (never probed)."""
    fmt = QEMU_FORMAT_NAMES.get(disk_format, disk_format)
    result = _run(INFO_LIMITS, ["info", "-f", fmt, "--output=json", str(path)], timeout=60)
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise ConversionError("qemu-img info gave unreadable output.") from None


def check_info(info: dict, disk_format: str) -> None:
    """Refuse images that reference other files, whatever the inspector said."""
    expected = QEMU_FORMAT_NAMES.get(disk_format, disk_format)
    if info.get("format") != expected:
        raise ConversionError(
            f"Image format mismatch: qemu-img reads {info.get('format')}, not {disk_format}."
        )
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise ConversionError("Image has disallowed configuration: a backing file.")
    specific = (info.get("format-specific") or {}).get("data") or {}
    if specific.get("data-file"):
        raise ConversionError("Image has disallowed configuration: an external data file.")
    if disk_format == "vmdk":
        create_type = specific.get("create-type")
        if create_type not in SAFE_VMDK_TYPES:
            raise ConversionError(f"Image has disallowed configuration: VMDK type {create_type}.")


def convert(source: Path, disk_format: str, target_format: str, workdir: Path) -> Converted:
    """Convert ``source`` (already inspected as ``disk_format``) into ``target_format``."""
    if target_format not in TARGET_FORMATS:
        raise ConversionError(f"Cannot convert to {target_format}.")
    info = image_info(source, disk_format)
    check_info(info, disk_format)
    destination = workdir / f"{source.name}.{target_format}"
    src_fmt = QEMU_FORMAT_NAMES.get(disk_format, disk_format)
    try:
        _run(
            CONVERT_LIMITS,
            ["convert", "-f", src_fmt, "-O", target_format, str(source), str(destination)],
            timeout=3600,
        )
        out = image_info(destination, target_format)
        check_info(out, target_format)
    except ConversionError:
        destination.unlink(missing_ok=True)
        raise
    return Converted(
        path=destination,
        disk_format=target_format,
        size=destination.stat().st_size,
        virtual_size=out.get("virtual-size"),
    )
