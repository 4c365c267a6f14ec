"""Families' natural version order, deprecation values, retention plans and the publication
checklist's rules, without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from catalog.domain import checklist
from catalog.domain import families as rules
from catalog.exceptions import BadRequest

GIB = 1024**3


@pytest.mark.parametrize(
    "older,newer",
    [
        ("1.9", "1.10"),
        ("24.04-20240115", "24.04-20240201"),
        ("2", "10"),
        ("1.0", "1.0a"),
        (None, "0"),
        ("22.04", "24.04"),
    ],
)
def test_versions_sort_in_natural_order(older, newer):
    assert rules.version_key(older) < rules.version_key(newer)


def member(image_id, version, minutes=0):
    return rules.Member(
        image_id, version, datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    )


def test_creation_time_breaks_ties_and_the_latest_is_last():
    chain = rules.ordered(
        [member("c", "1.10"), member("b", "1.9", 5), member("a", "1.9", 1), member("d", None)]
    )
    assert [m.id for m in chain] == ["d", "a", "b", "c"]
    assert [m.id for m in rules.older_than(chain, "b")] == ["d", "a"]
    assert rules.older_than(chain, "nope") == []


def test_retention_keeps_the_newest_and_the_kept():
    chain = [member(str(i), f"1.{i}") for i in range(1, 6)]
    assert [m.id for m in rules.retention_plan(chain, 2, set())] == ["1", "2", "3"]
    assert [m.id for m in rules.retention_plan(chain, 2, {"2"})] == ["1", "3"]
    assert rules.retention_plan(chain, 9, set()) == []
    assert [m.id for m in rules.retention_plan(chain, 0, set())] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2025-01-31", datetime(2025, 1, 31, tzinfo=UTC)),
        ("2025-01-31T12:00:00Z", datetime(2025, 1, 31, 12, tzinfo=UTC)),
        ("2025-01-31T12:00:00", datetime(2025, 1, 31, 12, tzinfo=UTC)),
    ],
)
def test_hide_after_dates(value, expected):
    assert rules.parse_hide_after(value) == expected


@pytest.mark.parametrize(
    "properties,message",
    [
        ({"x_vitrine_deprecated": "yes"}, "Invalid x_vitrine_deprecated value: 'yes'"),
        ({"x_vitrine_hide_after": "soon"}, "Invalid x_vitrine_hide_after value: 'soon'"),
    ],
)
def test_bad_deprecation_values_are_refused(properties, message):
    with pytest.raises(BadRequest, match=message):
        rules.check_deprecation_values(properties)


def facts(**changes):
    base = dict(
        status="active",
        disk_format="qcow2",
        container_format="bare",
        size=GIB // 2,
        virtual_size=3 * GIB + 1,
        min_disk=4,
        min_ram=512,
        checksum="c" * 32,
        os_hash_value="h" * 128,
        properties={"os_distro": "ubuntu", "os_version": "24.04", "architecture": "x86_64"},
    )
    base.update(changes)
    return checklist.ImageFacts(**base)


def verdict(rule, **changes):
    (check,) = checklist.evaluate(facts(**changes), [rule])
    return check


def test_a_complete_image_passes_every_rule():
    checks = checklist.evaluate(facts(), checklist.RULE_NAMES)
    assert [c.rule for c in checks] == checklist.RULE_NAMES
    assert checklist.failing(checks) == []


def test_min_disk_rule():
    assert not verdict("min_disk", min_disk=3).passed
    assert verdict("min_disk", min_disk=3).reason == (
        "min_disk is 3 GiB; the disk needs at least 4 GiB."
    )
    assert verdict("min_disk", virtual_size=None, size=GIB, min_disk=1).passed
    assert not verdict("min_disk", virtual_size=None, size=None).passed


def test_min_ram_rule():
    assert not verdict("min_ram", min_ram=0).passed


def test_required_properties_rule_and_uefi():
    check = verdict("required_properties", properties={"os_version": "1"})
    assert not check.passed
    assert check.reason == "Missing properties: os_distro, architecture."
    uefi = {"os_distro": "a", "os_version": "1", "architecture": "x", "os_secure_boot": "required"}
    check = verdict("required_properties", properties=uefi)
    assert check.reason == "Missing properties: hw_firmware_type."
    assert verdict("required_properties", properties={**uefi, "hw_firmware_type": "uefi"}).passed


def test_allowed_values_rule_reads_the_definitions():
    definitions = {
        "hw_firmware_type": ("OS::Compute::Hw", {"type": "string", "enum": ["bios", "uefi"]})
    }
    check = verdict(
        "allowed_values", properties={"hw_firmware_type": "efi"}, definitions=definitions
    )
    assert not check.passed and "OS::Compute::Hw" in check.reason
    assert verdict(
        "allowed_values", properties={"hw_firmware_type": "uefi"}, definitions=definitions
    ).passed


def test_data_and_format_rules():
    assert not verdict("data_verified", checksum=None).passed
    assert not verdict("format_safe", container_format="ova").passed
    assert not verdict("format_safe", status="deactivated").passed


def test_not_deprecated_rule():
    check = verdict("not_deprecated", properties={"x_vitrine_deprecated": "true"})
    assert not check.passed and "deprecated" in check.reason
