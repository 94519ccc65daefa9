"""Message text as safe HTML: escaped, line breaks kept, web addresses made into links (nh3);
the inbox's plain-text preview; the days and times a thread shows."""

from __future__ import annotations

import datetime
import re

import nh3
from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

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


PREVIEW_LENGTH = 80


@register.filter
def message_preview(text: str) -> str:
    """The first line with text, whitespace collapsed and shortened — plain text, so the
    template escapes it (no HTML from a message reaches the inbox)."""
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= PREVIEW_LENGTH else line[: PREVIEW_LENGTH - 1] + "…"
    return ""


def _days_ago(value: datetime.datetime) -> int:
    return (timezone.localdate() - value.date()).days


@register.filter(expects_localtime=True)
def day_label(value) -> str:
    """The day a message was written, as a thread's day separator shows it."""
    if not value:
        return ""
    days = _days_ago(value)
    if days == 0:
        return _("Today")
    if days == 1:
        return _("Yesterday")
    if value.year == timezone.localdate().year:
        return date_format(value, pgettext("day separator", "D j N"))
    return date_format(value, pgettext("day separator with year", "D j N Y"))


@register.filter(expects_localtime=True)
def short_when(value) -> str:
    """When the last message came, as short as it can be: a time today, else a day."""
    if not value:
        return ""
    days = _days_ago(value)
    if days == 0:
        return date_format(value, "H:i")
    if days == 1:
        return _("Yesterday")
    if value.year == timezone.localdate().year:
        return date_format(value, pgettext("inbox date", "j N"))
    return date_format(value, "d-m-Y")
