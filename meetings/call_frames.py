"""The frames a call's signalling socket accepts (``regiozorg.call_consumer``), checked field by
field: a known type, no fields it does not have, peer ids of 24 hex characters, an SDP of at
most 60 kB, one ICE candidate with its four fields. What passes is rebuilt from those fields
only, so nothing else is ever relayed to another browser."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _

MAX_FRAME_BYTES = 64 * 1024  # an SDP with several tracks is a few kB
PEER_CHARS = frozenset("0123456789abcdef")

FRAME_FIELDS = {
    "join": set(),
    "leave": set(),
    "ping": set(),
    "signal": {"to", "description", "candidate"},
    "state": {"audio", "video", "screen"},
    "chat": {"body", "client_key"},
    "admit": {"peer"},
    "deny": {"peer"},
}
HOST_ONLY = {"admit", "deny"}


class BadFrame(Exception):
    pass


def _peer(value) -> str:
    if not isinstance(value, str) or len(value) != 24 or not set(value) <= PEER_CHARS:
        raise BadFrame("peer")
    return value


def _signal_body(content: dict) -> dict:
    """An offer/answer or one ICE candidate, copied field by field (nothing else relayed)."""
    description, candidate = content.get("description"), content.get("candidate")
    if (description is None) == (candidate is None):
        raise BadFrame("signal needs a description or a candidate")
    if description is not None:
        if not isinstance(description, dict) or set(description) - {"type", "sdp"}:
            raise BadFrame("description")
        kind, sdp = description.get("type"), description.get("sdp")
        if kind not in ("offer", "answer") or not isinstance(sdp, str) or len(sdp) > 60_000:
            raise BadFrame("description")
        return {"description": {"type": kind, "sdp": sdp}}
    if not isinstance(candidate, dict) or set(candidate) - {
        "candidate",
        "sdpMid",
        "sdpMLineIndex",
        "usernameFragment",
    }:
        raise BadFrame("candidate")
    text = candidate.get("candidate")
    if not isinstance(text, str) or len(text) > 1000:
        raise BadFrame("candidate")
    mid, index, fragment = (
        candidate.get("sdpMid"),
        candidate.get("sdpMLineIndex"),
        candidate.get("usernameFragment"),
    )
    if mid is not None and (not isinstance(mid, str) or len(mid) > 64):
        raise BadFrame("candidate")
    if index is not None and (not isinstance(index, int) or not 0 <= index < 64):
        raise BadFrame("candidate")
    if fragment is not None and (not isinstance(fragment, str) or len(fragment) > 256):
        raise BadFrame("candidate")
    return {
        "candidate": {
            "candidate": text,
            "sdpMid": mid,
            "sdpMLineIndex": index,
            "usernameFragment": fragment,
        }
    }


def frame_check(content) -> dict:
    """The frame if it is one this socket knows, with only its own fields; else ``BadFrame``."""
    if not isinstance(content, dict):
        raise BadFrame("not an object")
    kind = content.get("type")
    if kind not in FRAME_FIELDS:
        raise BadFrame("type")
    if set(content) - FRAME_FIELDS[kind] - {"type"}:
        raise BadFrame("fields")
    if kind == "signal":
        return {"type": kind, "to": _peer(content.get("to")), **_signal_body(content)}
    if kind == "state":
        flags = {k: content.get(k, False) for k in ("audio", "video", "screen")}
        if not all(isinstance(v, bool) for v in flags.values()):
            raise BadFrame("state")
        return {"type": kind, **flags}
    if kind == "chat":
        body = content.get("body")
        if not isinstance(body, str) or not body.strip() or len(body) > 2000:
            raise BadFrame(_("A chat message has 1 to 2000 characters."))
        try:
            key = uuid.UUID(str(content.get("client_key")))
        except ValueError:
            raise BadFrame("client_key") from None
        return {"type": kind, "body": body, "client_key": key}
    if kind in ("admit", "deny"):
        return {"type": kind, "peer": _peer(content.get("peer"))}
    return {"type": kind}
