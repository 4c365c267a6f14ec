"""Disk-format safety of uploaded data, through oslo.utils' format inspector.

The inspector watches the stream as it goes to the store; at EOF, before anything is
committed, ``FormatWatch.verdict`` applies Glance's decision rules (its ``set_data``):

1. Only ``bare`` containers are inspected (others keep ``virtual_size`` null).
2. Content that is both ISO and GPT is a bootable ISO; any other double match is refused.
3. Content matching ``disk_format`` records the inspector's ``virtual_size``.
4. Unrecognised (raw) content is fine for formats without an inspector (ami, ari, aki,
   ploop), with no ``virtual_size``.
5. ``disk_format=raw`` accepts any content, its ``virtual_size`` being the byte count; the
   safety checks of the format actually found still apply.
6. Any other mismatch is 415 unless ``CATALOG_REQUIRE_IMAGE_FORMAT_MATCH`` is off.
7. The safety checks of the detected format (qcow2 backing file or data file, VMDK
   descriptors with paths, QED, MBR/GPT anomalies, ...) always apply: a failure is 415.
   So does content the inspector cannot decide on (two formats in one file), whatever
   ``CATALOG_REQUIRE_IMAGE_FORMAT_MATCH`` says: it may hide one header in another.
"""

import logging
from collections.abc import Iterable, Iterator

from oslo_utils.imageutils import format_inspector as fi

from catalog.choices import ContainerFormat, DiskFormat
from catalog.exceptions import UnsupportedMediaType
from catalog.properties import MAX_DB_BIGINT

logger = logging.getLogger(__name__)

# Glance: for kernel and ramdisk images a missing MBR is expected, never a reason to refuse.
_NONFATAL_CHECKS = {DiskFormat.AKI: {"mbr"}, DiskFormat.ARI: {"mbr"}}


def format_failure(message: str, details: str = "") -> UnsupportedMediaType:
    return UnsupportedMediaType(message, details=details)


def _plausible_virtual_size(size: int | None) -> int | None:
    """The inspector reads ``virtual_size`` from the header as sent: a VHD footer or a VDI
    header of 0xff bytes claims 2**64 - 1, which no database column holds (the commit failed
    with a 500). A header that cannot describe a disk is refused like any bad header."""
    if size is not None and not 0 <= size <= MAX_DB_BIGINT:
        raise format_failure(
            "Image format inspection failed", f"The header's virtual size {size} is impossible."
        )
    return size


class FormatWatch:
    """Inspects one upload. ``wrap`` the chunk stream, then ask ``verdict()`` at EOF."""

    def __init__(self, disk_format: str | None, container_format: str | None, *, require_match):
        self.disk_format = disk_format
        self.enabled = container_format == ContainerFormat.BARE
        self.require_match = require_match
        self._wrapper: fi.InspectWrapper | None = None
        self._received = 0

    def wrap(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        if not self.enabled:
            return iter(chunks)
        self._wrapper = fi.InspectWrapper(self._counted(chunks))
        return self._wrapper

    def _counted(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._received += len(chunk)
            yield chunk

    def _detected(self) -> fi.FileInspector:
        formats = self._wrapper.formats or []
        names = {str(f) for f in formats}
        if names == {"iso", "gpt"}:
            return next(f for f in formats if str(f) == "iso")
        detected = self._wrapper.format
        if detected is None:  # cannot happen after EOF; refuse rather than guess
            raise fi.ImageFormatError("No format decision was reached")
        return detected

    def verdict(self) -> int | None:
        """The image's ``virtual_size`` (None when unknown); 415 for unsafe or wrong data."""
        if self._wrapper is None:
            return None
        try:
            detected = self._detected()
            # Safety first: a refused image needs no size, and some inspectors cannot size
            # what their safety checks refuse.
            self._safety_check(detected)
            return _plausible_virtual_size(self._match(detected))
        except UnsupportedMediaType:
            raise
        except Exception as exc:  # ImageFormatError, or an inspector tripping on bad input
            logger.info("Format inspection of a %s upload failed: %r", self.disk_format, exc)
            raise format_failure("Image format inspection failed", str(exc)) from None

    def _match(self, detected: fi.FileInspector) -> int | None:
        name = str(detected)
        if name == self.disk_format:
            return detected.virtual_size
        if name == "raw" and self.disk_format not in fi.ALL_FORMATS:
            return None
        if self.disk_format == DiskFormat.RAW:
            return detected.actual_size
        message = f"Image disk_format {self.disk_format} does not match stream data {name}"
        if self._received == 0:
            # An empty body is "raw" to the inspector; saying so hid the real mistake (the
            # openstack client uploads its standard input when given no --file).
            message = (
                f"The upload was empty (0 bytes): a {self.disk_format} image needs data. "
                "Send the file as the request body (openstack image create --file PATH)."
            )
        if self.require_match:
            raise format_failure(message)
        logger.warning("%s (allowed: CATALOG_REQUIRE_IMAGE_FORMAT_MATCH is off)", message)
        return None

    def _safety_check(self, detected: fi.FileInspector) -> None:
        try:
            detected.safety_check()
        except fi.SafetyCheckFailed as exc:
            nonfatal = _NONFATAL_CHECKS.get(self.disk_format, set())
            fatal = {k: v for k, v in exc.failures.items() if k not in nonfatal}
            if fatal:
                reasons = "; ".join(f"{name}: {reason}" for name, reason in sorted(fatal.items()))
                # The reason goes in the message too: clients (the openstack CLI) show only it.
                raise format_failure(f"Image failed safety checks: {reasons}", reasons) from None
