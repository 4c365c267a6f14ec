"""The publication checklist: rules an image must pass before it is made public.

Pure rules over an ``ImageFacts`` snapshot (no ORM): ``services/checklist.py`` builds the
facts, picks the rules switched on in the admin (``ChecklistRule`` rows) and evaluates them.
Each rule answers ``(passed, reason)``; the reason explains either way, so the request page
can show a green or red line with words on both.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from catalog.domain import metadefs as metadef_rules

GIB = 1024**3
TRUE_VALUES = {"true", "1", "yes", "on"}

# Properties every public image must carry (what schedulers and external tools read).
REQUIRED_PROPERTIES = ("os_distro", "os_version", "architecture")
# A property that only makes sense on UEFI (Nova refuses secure boot on BIOS), so an image
# carrying it is a UEFI image and must say so with hw_firmware_type=uefi.
UEFI_MARKERS = ("os_secure_boot",)


@dataclass(frozen=True)
class ImageFacts:
    """What the checklist looks at, read once by the service."""

    status: str
    disk_format: str | None
    container_format: str | None
    size: int | None
    virtual_size: int | None
    min_disk: int
    min_ram: int
    checksum: str | None
    os_hash_value: str | None
    properties: dict[str, str] = field(default_factory=dict)
    # Prefixed metadef property name -> (namespace, definition), for the allowed values.
    definitions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    rule: str
    passed: bool
    reason: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "passed": self.passed, "reason": self.reason}


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    judge: Callable[[ImageFacts], tuple[bool, str]]


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE_VALUES


def _min_disk(facts: ImageFacts) -> tuple[bool, str]:
    size = facts.virtual_size if facts.virtual_size is not None else facts.size
    if size is None:
        return False, "The image has no data, so its disk size is unknown."
    needed = math.ceil(size / GIB)
    if facts.min_disk >= needed:
        return True, f"min_disk {facts.min_disk} GiB covers the {needed} GiB disk."
    return False, f"min_disk is {facts.min_disk} GiB; the disk needs at least {needed} GiB."


def _min_ram(facts: ImageFacts) -> tuple[bool, str]:
    if facts.min_ram > 0:
        return True, f"min_ram is {facts.min_ram} MiB."
    return False, "min_ram is 0: set the memory the image needs (MiB)."


def _required_properties(facts: ImageFacts) -> tuple[bool, str]:
    wanted = list(REQUIRED_PROPERTIES)
    if any(facts.properties.get(name) for name in UEFI_MARKERS):
        wanted.append("hw_firmware_type")
    missing = [name for name in wanted if not (facts.properties.get(name) or "").strip()]
    if missing:
        return False, "Missing properties: " + ", ".join(missing) + "."
    return True, "Present: " + ", ".join(wanted) + "."


def _allowed_values(facts: ImageFacts) -> tuple[bool, str]:
    message = metadef_rules.property_violation(facts.definitions, facts.properties)
    if message:
        return False, message
    return True, "Every defined property has an allowed value."


def _data_verified(facts: ImageFacts) -> tuple[bool, str]:
    if facts.checksum and facts.os_hash_value and facts.status == "active":
        return True, "The data was hashed on its way in (checksum and os_hash_value recorded)."
    return False, "The image has no verified data (no recorded hashes)."


def _format_safe(facts: ImageFacts) -> tuple[bool, str]:
    # The format inspector runs on bare containers only (data/inspection.py), and refuses
    # unsafe data outright: an active bare image passed it.
    if facts.status != "active":
        return False, f"The image is {facts.status}: its data was not inspected."
    if facts.container_format != "bare":
        return False, f"Container {facts.container_format} is not inspected; only bare is."
    return True, f"The {facts.disk_format} data passed the format inspector."


def _not_deprecated(facts: ImageFacts) -> tuple[bool, str]:
    if is_true(facts.properties.get("x_vitrine_deprecated")):
        return False, "The image is deprecated: publish its successor instead."
    return True, "The image is not deprecated."


RULES = [
    Rule("min_disk", "min_disk >= ceil(virtual_size in GiB)", _min_disk),
    Rule("min_ram", "min_ram > 0", _min_ram),
    Rule(
        "required_properties",
        "os_distro, os_version, architecture (and hw_firmware_type on UEFI images)",
        _required_properties,
    ),
    Rule("allowed_values", "property values allowed by the metadata definitions", _allowed_values),
    Rule("data_verified", "the data verified against its hash", _data_verified),
    Rule("format_safe", "the format inspector passed the data", _format_safe),
    Rule("not_deprecated", "no deprecated image published", _not_deprecated),
]
RULE_NAMES = [rule.name for rule in RULES]
BY_NAME = {rule.name: rule for rule in RULES}


def evaluate(facts: ImageFacts, enabled: list[str]) -> list[Check]:
    """The enabled rules' verdicts, in the table's order."""
    checks = []
    for rule in RULES:
        if rule.name in enabled:
            passed, reason = rule.judge(facts)
            checks.append(Check(rule.name, passed, reason))
    return checks


def failing(checks: list[Check]) -> list[str]:
    return [check.rule for check in checks if not check.passed]
