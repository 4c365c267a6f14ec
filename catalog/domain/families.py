"""Image families and versions, deprecation and retention: the pure rules.

A family is (owner project, ``x_vitrine_family``); its images are ordered by
``x_vitrine_version`` in natural order (runs of digits compare as numbers), the creation time
breaking ties. Deprecation is three properties every client already sees. Nothing here
touches the database: ``services/families.py`` and ``services/retention.py`` apply it.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from catalog.exceptions import BadRequest

FAMILY = "x_vitrine_family"
VERSION = "x_vitrine_version"
DEPRECATED = "x_vitrine_deprecated"
SUPERSEDED_BY = "x_vitrine_superseded_by"
HIDE_AFTER = "x_vitrine_hide_after"
DEPRECATION_PROPERTIES = (DEPRECATED, SUPERSEDED_BY, HIDE_AFTER)
BOOLEAN_VALUES = {"true", "false"}

_RUNS = re.compile(r"\d+|\D+")


def version_key(version: str | None) -> tuple:
    """Natural order: ``1.9 < 1.10``, ``24.04-20240115 < 24.04-20240201``. Digit runs sort
    as numbers and before text at the same place; no version sorts first."""
    if not version:
        return ()
    return tuple(
        (0, int(run), "") if run.isdigit() else (1, 0, run) for run in _RUNS.findall(version)
    )


@dataclass(frozen=True)
class Member:
    """One image of a family, as the ordering needs it."""

    id: str
    version: str | None
    created_at: datetime


def ordered(members: list[Member]) -> list[Member]:
    """Oldest first, the latest version last."""
    return sorted(members, key=lambda m: (version_key(m.version), m.created_at, m.id))


def older_than(members: list[Member], image_id: str) -> list[Member]:
    """The members that come before ``image_id`` in the family's order."""
    chain = ordered(members)
    ids = [m.id for m in chain]
    if image_id not in ids:
        return []
    return chain[: ids.index(image_id)]


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def parse_hide_after(value: str) -> datetime:
    """``x_vitrine_hide_after``: an ISO date (midnight UTC) or date-time (UTC if naive)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"Invalid {HIDE_AFTER} value: {value!r}. Expected an ISO date (2025-01-31) "
            "or date-time (2025-01-31T12:00:00Z)."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_deprecation_values(properties: dict) -> None:
    """Formats of the deprecation properties being written (400 on a bad one). Whether the
    successor exists and is visible is the service's check."""
    if DEPRECATED in properties and properties[DEPRECATED] not in BOOLEAN_VALUES:
        raise BadRequest(
            f"Invalid {DEPRECATED} value: {properties[DEPRECATED]!r}. Expected 'true' or 'false'."
        )
    if properties.get(HIDE_AFTER):
        parse_hide_after(properties[HIDE_AFTER])


def retention_plan(members: list[Member], keep_newest: int, kept: set[str]) -> list[Member]:
    """The members retention retires: all but the newest ``keep_newest``, minus ``kept``
    (protected images, images shared with accepted members)."""
    chain = ordered(members)
    old = chain[: max(len(chain) - keep_newest, 0)]
    return [m for m in old if m.id not in kept]
