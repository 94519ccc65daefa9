"""A GET form puts every field in the URL (browser history, proxy and server logs, the Referer
header): no CSRF token, no message text and no password ever goes in one. A search inside a page
is its own GET form (or an htmx request), never a field of the form that posts the message.

Reads every template of ours and checks each ``<form>`` whose method is GET, or missing (the
default is GET).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]

FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
METHOD = re.compile(r"""\bmethod\s*=\s*["']?(?P<method>[^"'\s>]+)""", re.I)
COMMENTS = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
# What must never be in a URL.
LEAKS = {
    "csrf token": re.compile(r"{%\s*csrf_token\s*%}|csrfmiddlewaretoken", re.I),
    "text area": re.compile(r"<textarea\b", re.I),
    "password field": re.compile(r"""type\s*=\s*["']?password""", re.I),
    "message field": re.compile(
        r"""\bname\s*=\s*["']?(body|message|text|note|question|reason)\b["']?""", re.I
    ),
    "message form field": re.compile(
        r"{{\s*form\.(body|message|text|note|question|reason|password\d?)\b", re.I
    ),
}


def _templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html") if ".venv" not in p.parts)


def _text(path: Path) -> str:
    """The template without its comments (which may speak of a <form>), lines kept."""
    return COMMENTS.sub(lambda m: "\n" * m[0].count("\n"), path.read_text())


def _get_forms():
    for path in _templates():
        text = _text(path)
        for match in FORM.finditer(text):
            method = METHOD.search(match["attrs"])
            # method="{{ attrs.method }}" (allauth's element): its callers say post.
            if method is None or method["method"].lower() == "get":
                line = text.count("\n", 0, match.start()) + 1
                yield f"{path.relative_to(ROOT)}:{line}", match["body"]


def test_the_scan_finds_our_get_forms():
    """Guards the guard: the patient search and the access overview's filter are GET forms."""
    where = [name for name, _body in _get_forms()]
    assert any("network/patients/list.html" in w for w in where), where
    assert any("network/patients/access_log.html" in w for w in where), where


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_no_get_form_carries_a_csrf_token_message_text_or_password(leak):
    found = [name for name, body in _get_forms() if LEAKS[leak].search(body)]
    assert found == [], f"{leak} in a GET form (it would end up in the URL): {found}"


def test_a_form_without_a_method_is_not_used_for_posting_data():
    """No method means GET: say it, so a reader does not have to know the default."""
    missing = []
    for path in _templates():
        text = _text(path)
        for match in FORM.finditer(text):
            if METHOD.search(match["attrs"]) is None:
                line = text.count("\n", 0, match.start()) + 1
                missing.append(f"{path.relative_to(ROOT)}:{line}")
    assert missing == []


HX_GET_TAG = re.compile(r"<[a-z]+\b[^>]*\bhx-get=[^>]*>", re.S | re.I)
HX_INCLUDE = re.compile(r"""\bhx-include\s*=\s*["'](?P<what>[^"']*)["']""", re.I)


def test_a_search_inside_a_posting_form_sends_only_itself():
    """htmx adds nothing of the surrounding form to a GET unless told to: ``hx-include`` on a
    search may name the search field itself, never the form (and so its message text)."""
    wide = []
    for path in _templates():
        text = _text(path)
        for tag in HX_GET_TAG.finditer(text):
            include = HX_INCLUDE.search(tag[0])
            if include and include["what"].strip() != "this":
                wide.append(f"{path.relative_to(ROOT)}: hx-include={include['what']!r}")
    assert wide == []
