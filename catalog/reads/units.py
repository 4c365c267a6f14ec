"""How sizes are shown to people: IEC units (KiB, MiB, GiB: powers of 1024, and named so).

The one helper for the Django admin, the HTML catalog (the ``iec`` template filter) and its
charts, so that a size reads the same everywhere: Django's ``filesizeformat`` computes in
1024s but labels "KB"/"MB", which the usage page's "MiB" contradicted.
"""

UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
MiB = 1024**2


def iec_size(value: int | None, missing: str = "-") -> str:
    """``1536`` -> ``1.5 KiB``; three significant digits at most, ``bytes`` below 1 KiB."""
    if value is None:
        return missing
    size, unit = float(value), 0
    while abs(size) >= 1024 and unit < len(UNITS) - 1:
        size /= 1024
        unit += 1
    if unit == 0:
        return f"{int(value)} byte{'' if value == 1 else 's'}"
    text = f"{size:.2f}" if abs(size) < 10 else f"{size:.1f}" if abs(size) < 100 else f"{size:.0f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {UNITS[unit]}"


def iec_from_mib(value: int | float) -> str:
    """A quota figure kept in MiB (Glance's unit for image_size_total), shown in IEC units."""
    return iec_size(round(value * MiB))
