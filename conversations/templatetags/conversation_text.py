"""Message text as safe HTML: escaped, line breaks kept, web addresses made into links (nh3)."""

from __future__ import annotations

import re

import nh3
from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_URL = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)])")


@register.filter
def message_html(text: str) -> str:
    escaped = escape(text or "")
    linked = _URL.sub(
        r'<a href="\1" rel="noopener noreferrer nofollow" target="_blank">\1</a>', escaped
    )
    html = linked.replace("\n", "<br>")
    # Belt and braces: only <a href> and <br> survive, whatever slipped through above.
    clean = nh3.clean(
        html,
        tags={"a", "br"},
        attributes={"a": {"href", "target"}},
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - escaped, then sanitised by nh3
