"""What glance-download keeps of another region's image record (no network)."""

import pytest

from catalog.data import remote_images
from catalog.exceptions import Conflict

BASE = {"status": "active", "disk_format": "raw", "container_format": "bare"}


def copied(**record):
    return remote_images._copied({**BASE, **record})


def test_only_the_configured_prefixes_are_copied():
    kept = copied(hw_disk_bus="virtio", os_distro="debian", note="x", os_glance_import_task="t")
    assert kept == {"hw_disk_bus": "virtio", "os_distro": "debian"}


@pytest.mark.parametrize(
    "record",
    [
        {"hw_x": {"nested": 1}},
        {"hw_x": "a\x00b"},
        {"hw_" + "k" * 300: "v"},
    ],
)
def test_remote_properties_obey_local_rules(record):
    with pytest.raises(Conflict, match="cannot be kept here"):
        copied(**record)


def test_too_many_remote_properties(settings):
    settings.CATALOG_IMAGE_PROPERTY_QUOTA = 2
    with pytest.raises(Conflict, match="Maximum: 2"):
        copied(hw_a="1", hw_b="2", hw_c="3")


@pytest.mark.parametrize("value", ["floppy", None, ["raw"]])
def test_unknown_formats_are_refused(value):
    with pytest.raises(Conflict, match="not one this site accepts"):
        remote_images._format({"disk_format": value}, "disk_format", ["raw"])
