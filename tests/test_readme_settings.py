"""The README's settings table documents every setting read from the environment."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "| variable | default | meaning |"


def environment_names() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r'env(?:_\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))


def table_rows() -> list[str]:
    """The rows of the settings table, up to the first line that is not a row (a blank line
    between rows ends the table in Markdown: the rest renders as text)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    rows = []
    for line in lines[lines.index(HEADER) + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def names_in(row: str) -> set[str]:
    """The settings a row names: full names, and `_SUFFIX` shorthands of the full name before
    them (`CATALOG_IMPORT_ALLOWED_HOSTS` / `_DISALLOWED_HOSTS`)."""
    cells = re.findall(r"`([A-Z_][A-Z0-9_]*)`", row.split("|")[1])
    full = [c for c in cells if not c.startswith("_")]
    names = set(full)
    for name in full:
        parts = name.split("_")
        for cut in range(1, len(parts)):
            names.update("_".join(parts[:cut]) + c for c in cells if c.startswith("_"))
    return names


def test_every_environment_setting_is_in_the_one_settings_table():
    documented = set().union(*(names_in(row) for row in table_rows()))
    missing = sorted(environment_names() - documented)
    assert not missing, f"not in README's settings table (or after a break in it): {missing}"
