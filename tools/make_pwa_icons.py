"""Draws the app icons of the installable web app (static/icons/) from the favicon's design:
a rounded dark-blue square with a white cross. Run once after a change of design:

    .venv/bin/python tools/make_pwa_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = "#0a3d62"  # static/favicon.svg, --rz-brand
ICONS = Path(__file__).resolve().parents[1] / "static" / "icons"
SCALE = 4  # drawn larger, then scaled down: smooth edges


def cross(draw: ImageDraw.ImageDraw, size: int, unit: float, offset: float) -> None:
    """The favicon's cross (viewBox 32: arms 6 wide, from 7 to 25) at ``unit`` px per unit."""
    for x0, y0, x1, y1 in ((13, 7, 19, 25), (7, 13, 25, 19)):
        box = [offset + x0 * unit, offset + y0 * unit, offset + x1 * unit, offset + y1 * unit]
        draw.rectangle(box, fill="white")


def icon(size: int, *, maskable: bool) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), BRAND if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        # Full bleed; the cross stays inside the safe zone (the middle 80 %).
        unit = big * 0.6 / 32
        cross(draw, big, unit, (big - 32 * unit) / 2)
    else:
        unit = big / 32
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=6 * unit, fill=BRAND)
        cross(draw, big, unit, 0)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    icon(192, maskable=False).save(ICONS / "icon-192.png", optimize=True)
    icon(512, maskable=False).save(ICONS / "icon-512.png", optimize=True)
    icon(512, maskable=True).save(ICONS / "icon-maskable-512.png", optimize=True)
    # iOS fills transparency with black: the touch icon is opaque, full bleed like the maskable.
    icon(180, maskable=True).convert("RGB").save(ICONS / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
