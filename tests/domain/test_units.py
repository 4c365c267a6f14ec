"""IEC sizes: one helper for the admin and the HTML catalog."""

import pytest

from catalog.reads.units import iec_from_mib, iec_size


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1023 bytes"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (10 * 1024**2 + 1, "10 MiB"),
        (123 * 1024**3, "123 GiB"),
        (1024**4 * 5 // 4, "1.25 TiB"),
    ],
)
def test_iec_size(value, text):
    assert iec_size(value) == text


def test_quota_figures_in_mib_keep_their_fraction():
    # Usage no longer rounds down to whole MiB: 0.5 MiB reads as 512 KiB.
    assert iec_from_mib(0.5) == "512 KiB"
    assert iec_from_mib(51200) == "50 GiB"
