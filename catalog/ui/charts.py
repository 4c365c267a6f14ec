"""Quota usage bar charts, drawn with Pillow as PNG (the page also has the figures as a
table, for screen readers)."""

import io
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFont

from catalog.reads.units import iec_size
from catalog.services.quotas import share_of

# As wide as the page's content column, so that the chart is drawn 1:1, not stretched.
WIDTH, ROW, MARGIN, LABEL = 1120, 46, 16, 190
COLOURS = {"ok": (32, 87, 164), "warn": (154, 91, 0), "full": (163, 32, 32)}
TRACK, TEXT, UNLIMITED = (226, 231, 237), (29, 35, 43), (120, 160, 120)


@dataclass(frozen=True)
class Bar:
    label: str
    usage: int  # bytes when ``size``, else a count
    limit: int | None  # None: unlimited
    size: bool = False

    @property
    def share(self) -> float | None:
        return share_of(self.usage, self.limit)

    def shown(self, value: int | None) -> str:
        if value is None:
            return "unlimited"
        return iec_size(value) if self.size else str(value)

    @property
    def shown_usage(self) -> str:
        return self.shown(self.usage)

    @property
    def shown_limit(self) -> str:
        return self.shown(self.limit)

    def caption(self) -> str:
        if self.limit is None:
            return f"{self.shown(self.usage)} used (unlimited)"
        percent = round((self.share or 0) * 100)
        return f"{self.shown(self.usage)} of {self.shown(self.limit)} ({percent} %)"


def _colour(share: float) -> tuple[int, int, int]:
    if share >= 1:
        return COLOURS["full"]
    return COLOURS["warn"] if share >= 0.8 else COLOURS["ok"]


def render_bars(title: str, bars: list[Bar]) -> bytes:
    """A PNG with one horizontal bar per figure, filled to its share of the limit."""
    height = MARGIN * 2 + 24 + ROW * len(bars)
    canvas = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=14)
    draw.text((MARGIN, MARGIN), title, fill=TEXT, font=ImageFont.load_default(size=16))
    track_width = WIDTH - LABEL - MARGIN * 2
    for index, bar in enumerate(bars):
        top = MARGIN + 30 + index * ROW
        draw.text((MARGIN, top + 2), bar.label, fill=TEXT, font=font)
        box = (LABEL, top, LABEL + track_width, top + 18)
        draw.rectangle(box, fill=TRACK)
        share = bar.share
        if share is None:
            draw.rectangle((LABEL, top, LABEL + track_width, top + 18), outline=UNLIMITED)
        elif share > 0:
            filled = LABEL + max(2, round(track_width * min(share, 1.0)))
            draw.rectangle((LABEL, top, filled, top + 18), fill=_colour(share))
        draw.text((LABEL, top + 21), bar.caption(), fill=TEXT, font=font)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


HISTORY_HEIGHT, PANEL = 330, 120


def render_history(title: str, samples, first_day, days: int = 30) -> bytes:
    """Two bar panels, one slot a day from ``first_day`` for ``days`` days: stored data (IEC
    units) and image count. ``samples`` have ``day``, ``stored_bytes`` and ``image_count``;
    a day without a sample is an empty slot."""
    canvas = Image.new("RGB", (WIDTH, HISTORY_HEIGHT), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=13)
    draw.text((MARGIN, MARGIN), title, fill=TEXT, font=ImageFont.load_default(size=16))
    panels = [
        ("Stored data", [s.stored_bytes for s in samples], iec_size),
        ("Images", [s.image_count for s in samples], str),
    ]
    left, right = LABEL, WIDTH - MARGIN
    for index, (label, values, shown) in enumerate(panels):
        top = MARGIN + 36 + index * (PANEL + 24)
        bottom = top + PANEL - 16
        draw.text((MARGIN, top), label, fill=TEXT, font=font)
        peak = max(values, default=0)
        draw.text((MARGIN, top + 18), f"max {shown(peak)}", fill=TEXT, font=font)
        draw.line((left, bottom, right, bottom), fill=TRACK, width=1)
        if not values:
            draw.text((left, top + 30), "no sample yet", fill=TEXT, font=font)
            continue
        step = (right - left) / days
        for sample, value in zip(samples, values, strict=True):
            position = (sample.day - first_day).days
            if not 0 <= position < days:
                continue
            height = 0 if peak == 0 else max(1, round((bottom - top - 4) * value / peak))
            x0 = left + position * step + 1
            draw.rectangle((x0, bottom - height, x0 + max(step - 3, 1), bottom), fill=COLOURS["ok"])
        last_day = first_day + timedelta(days=days - 1)
        draw.text((left, bottom + 2), first_day.isoformat(), fill=TEXT, font=font)
        draw.text((right - 80, bottom + 2), last_day.isoformat(), fill=TEXT, font=font)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()
