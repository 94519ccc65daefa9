"""The visual vocabulary (core/templatetags/ui.py): initials avatars and vendored icons."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from core.templatetags.ui import ICON_DIR, initials_of
from regiozorg.navigation import SECTIONS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("Jelle de Vries", "JV"),
        ("Marije van der Meer", "MM"),
        ("Sjoukje Hoekstra", "SH"),
        ("Anke", "A"),
        ("J. van 't Hof", "JH"),
        ("", "?"),
    ],
)
def test_initials_skip_dutch_surname_particles(name, initials):
    assert initials_of(name) == initials


def test_avatar_shows_initials_hidden_from_screen_readers_and_a_stable_colour():
    class Person:
        pk = 42
        full_name = "Tjitske Dijkstra"
        email = "t@example.nl"

    html = Template("{% load ui %}{% avatar person %}").render(Context({"person": Person()}))
    assert ">TD</span>" in html
    assert 'aria-hidden="true"' in html
    again = Template("{% load ui %}{% avatar person %}").render(Context({"person": Person()}))
    assert re.search(r"avatar-c\d", html).group() == re.search(r"avatar-c\d", again).group()


def test_icon_is_inline_decorative_svg():
    html = Template('{% load ui %}{% icon "chat-dots" "me-2" %}').render(Context())
    assert html.startswith('<svg class="bi bi-chat-dots me-2"')
    assert 'aria-hidden="true"' in html and "<path" in html


def test_every_icon_the_templates_and_the_menu_name_is_vendored():
    names = {section.icon for section in SECTIONS}
    for template in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'{%\s*icon\s+"([a-z0-9-]+)"', template.read_text()))
    missing = sorted(n for n in names if not (ICON_DIR / f"{n}.svg").is_file())
    assert not missing, f"icons named in templates but not vendored: {missing}"
    assert len(names) > 10


# One button hierarchy (README, "Look and feel"): the page's main action is btn-primary, other
# actions btn-outline-primary, cancel/back/neutral btn-outline-secondary, removing something
# btn-outline-danger (its confirmation btn-danger), a quiet text action btn-link; btn-icon and
# btn-user are the header's own.
BUTTON_STYLES = {
    "btn-primary",
    "btn-outline-primary",
    "btn-outline-secondary",
    "btn-outline-danger",
    "btn-danger",
    "btn-link",
    "btn-icon",
    "btn-user",
    "btn-sm",
    "btn-lg",
    "btn-close",
    "btn-group",
    "btn-check",
    "btn-toolbar",
}


def test_templates_use_one_button_hierarchy():
    strays = []
    for template in (ROOT / "templates").rglob("*.html"):
        for style in set(re.findall(r"\bbtn-[a-z-]+", template.read_text())):
            if style not in BUTTON_STYLES:
                strays.append(f"{template.relative_to(ROOT)}: {style}")
    assert not strays, "button styles outside the hierarchy:\n" + "\n".join(sorted(strays))
