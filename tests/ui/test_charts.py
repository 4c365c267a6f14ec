"""The usage bar chart's figures and drawing (no database)."""

import io

from PIL import Image

from catalog.ui.charts import COLOURS, LABEL, WIDTH, Bar, render_bars


def test_captions_and_shares():
    assert Bar("Images", 3, 10).caption() == "3 of 10 (30 %)"
    assert Bar("Stored", 5 * 2**20, None, True).caption() == "5 MiB used (unlimited)"
    # Sizes are bytes shown in IEC units: half a MiB is not "0 MiB" (rounded down).
    assert Bar("Stored", 2**19, 2**30, True).caption() == "512 KiB of 1 GiB (0 %)"
    assert Bar("Images", 0, 0).share == 0.0 and Bar("Images", 1, 0).share == 1.0


def test_bars_are_filled_to_their_share():
    png = render_bars("t", [Bar("half", 5, 10), Bar("full", 12, 10), Bar("free", 1, None)])
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    top = 16 + 30 + 5  # inside the first bar
    width = WIDTH - LABEL - 32
    assert picture.getpixel((LABEL + width // 4, top)) == COLOURS["ok"]
    assert picture.getpixel((LABEL + width * 3 // 4, top)) != COLOURS["ok"]
    assert picture.getpixel((LABEL + width - 3, top + 46)) == COLOURS["full"]
