"""The product's visual vocabulary for templates: icons from the vendored Bootstrap Icons set and
initials avatars. ``{% load ui %}`` then ``{% icon "chat-dots" %}`` or ``{% avatar user %}``.

Icons are inlined as SVG (no extra request, nothing for the CSP to allow) and are decorative:
the text beside them carries the meaning, so they are hidden from screen readers. Only the icons
listed in static/vendor/README.md are vendored; naming another one is an error in development
and a test (tests/test_ui_tags.py) finds every name the templates use.
"""

from __future__ import annotations

import re
import zlib
from functools import cache
from pathlib import Path

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

ICON_VERSION = "1.13.2"
ICON_DIR = (
    Path(__file__).resolve().parents[2]
    / "static/vendor"
    / f"bootstrap-icons-{ICON_VERSION}"
    / "icons"
)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")

# Dutch surname particles (tussenvoegsels): "Jelle de Vries" is JV, "Marije van der Meer" MM.
PARTICLES = frozenset(
    "de den der des di du het in op s t te ten ter van vd von 'r 'S 'T".lower().split()
)
# Background colours for avatars; each keeps white initials at 4.5:1 or better (see ui.css).
AVATAR_COLOURS = 8


@cache
def icon_svg(name: str) -> str:
    path = ICON_DIR / f"{name}.svg"
    if not re.fullmatch(r"[a-z0-9-]+", name) or not path.is_file():
        raise ValueError(f"Icon {name!r} is not vendored in {ICON_DIR}")
    body = _SVG_OPEN.sub("", path.read_text(encoding="utf-8"), count=1)
    body = " ".join(body.replace("</svg>", "").split())
    return body


@register.simple_tag
def icon(name: str, extra_class: str = "") -> str:
    """An inline, decorative SVG icon sized to the text (1em)."""
    try:
        paths = icon_svg(name)
    except ValueError:
        if settings.DEBUG:
            raise
        return ""
    classes = f"bi bi-{name} {extra_class}".strip()
    return format_html(
        '<svg class="{}" width="1em" height="1em" viewBox="0 0 16 16" fill="currentColor" '
        'aria-hidden="true" focusable="false">{}</svg>',
        classes,
        mark_safe(paths),  # noqa: S308 - read from the vendored, fixed icon files only
    )


def initials_of(name: str) -> str:
    """Up to two initials: the first name's and the surname's, skipping Dutch particles."""
    words = [w for w in re.split(r"[\s.]+", name or "") if w and w[0].isalpha()]
    if not words:
        return "?"
    main = [w for w in words[1:] if w.lower() not in PARTICLES]
    first = words[0][0]
    last = main[-1][0] if main else (words[-1][0] if len(words) > 1 else "")
    return (first + last).upper()


@register.simple_tag
def avatar(user, size: str = "") -> str:
    """A round badge with the person's initials; the colour follows the person, not the name."""
    name = getattr(user, "full_name", "") or getattr(user, "email", "")
    key = str(getattr(user, "pk", "") or name)
    colour = zlib.crc32(key.encode()) % AVATAR_COLOURS
    classes = f"avatar avatar-c{colour}" + (f" avatar-{size}" if size else "")
    return format_html('<span class="{}" aria-hidden="true">{}</span>', classes, initials_of(name))
