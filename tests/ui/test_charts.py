"""The usage bar chart's figures and drawing (no database)."""

import io

from PIL import Image

from catalog.ui.charts import COLOURS, LABEL, Bar, render_bars


def test_captions_and_shares():
    assert Bar("Images", 3, 10).caption() == "3 of 10 (30 %)"
    assert Bar("Stored", 5, -1, "MiB").caption() == "5 MiB used (unlimited)"
    assert Bar("Images", 0, 0).share == 0.0 and Bar("Images", 1, 0).share == 1.0


def test_bars_are_filled_to_their_share():
    png = render_bars("t", [Bar("half", 5, 10), Bar("full", 12, 10), Bar("free", 1, -1)])
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    top = 16 + 30 + 5  # inside the first bar
    width = 720 - LABEL - 32
    assert picture.getpixel((LABEL + width // 4, top)) == COLOURS["ok"]
    assert picture.getpixel((LABEL + width * 3 // 4, top)) != COLOURS["ok"]
    assert picture.getpixel((LABEL + width - 3, top + 46)) == COLOURS["full"]
