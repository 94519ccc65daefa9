"""The frames a page sends over its live socket, checked field by field before anything acts.

A frame is a JSON object with a known ``type`` and the fields that type has, each of the right
kind and within range; anything else is ``None`` (the socket answers "invalid frame" and closes
with 4400). This runs for every read mark and ping of every open page, so it is plain Python
checks rather than a Django form per frame (a form per read mark was a tenth of a busy Daphne's
time: each builds and deep-copies its fields). A ``send`` is checked further with the composer's
own ``MessageForm`` (``send_form``), so it refuses exactly what the form POST refuses.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from conversations.forms import MessageForm

MAX_ID = 2**62  # ids are bigint: anything larger is not an id
KINDS = frozenset({"subscribe", "read", "ping", "send"})
# A send carries exactly these; anything else is refused rather than ignored, so a frame never
# means more (or other) than the form POST it stands for.
SEND_FIELDS = frozenset({"type", "conversation", "body", "client_key"})


def _id(value, *, least: int = 1) -> int | None:
    """An id as the page sends it: a JSON integer (not a boolean), or its decimal text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        value = int(value)
    if isinstance(value, int) and least <= value <= MAX_ID:
        return value
    return None


def frame_parse(content) -> dict | None:
    """The frame with its fields checked and converted, or ``None`` when it is not one we take:
    an unknown type, a missing or malformed conversation (subscribe, read, send) or message
    (read), an ``after`` that is no id, an ``away`` that is no boolean."""
    if not isinstance(content, dict):
        return None
    kind = content.get("type")
    if kind not in KINDS:
        return None
    frame = {"type": kind}
    if kind == "ping":
        away = content.get("away", False)
        if not isinstance(away, bool):
            return None
        frame["away"] = away
        return frame
    conversation = _id(content.get("conversation"))
    if conversation is None:
        return None
    frame["conversation"] = conversation
    if kind == "read":
        message = _id(content.get("message"))
        if message is None:
            return None
        frame["message"] = message
    elif kind == "subscribe":
        after = content.get("after")
        if after in (None, ""):
            frame["after"] = 0
        elif (frame_after := _id(after, least=0)) is None:
            return None
        else:
            frame["after"] = frame_after
    return frame


class SendRefused(Exception):
    """A send the composer's form POST would refuse too; the message is the form's."""


def send_form(content: dict) -> MessageForm:
    """The composer's own form, so a send over the socket follows the rules (and gets the
    messages) of the form POST. Raises ``SendRefused`` for what the form refuses."""
    unknown = sorted(set(content) - SEND_FIELDS)
    if unknown:
        raise SendRefused(
            _("This message has fields that are not allowed: %(fields)s.")
            % {"fields": ", ".join(unknown)[:200]}
        )
    body = content.get("body")
    form = MessageForm(
        {"body": body if isinstance(body, str) else "", "client_key": content.get("client_key")}
    )
    if not form.is_valid():
        raise SendRefused(" ".join(str(e) for errors in form.errors.values() for e in errors))
    return form
