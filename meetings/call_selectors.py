"""Reads of video calls. Every function takes a call someone was let into
(``meetings.call_access``) or the row of an admitted browser."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.conf import settings
from django.utils import timezone

from meetings.models import Call, CallAttendance, CallGuest, CallMessage


def ice_servers_for(peer: str) -> list[dict]:
    """The STUN and TURN servers a browser uses for this call (``CALL_STUN_URLS``,
    ``CALL_TURN_URLS``). TURN credentials are short-lived and per browser: coturn's REST scheme
    (``use-auth-secret``), user name ``<expiry>:<peer>``, password the base64 HMAC-SHA1 of the
    user name under ``CALL_TURN_SECRET``; coturn refuses them after ``CALL_TURN_TTL`` seconds."""
    servers: list[dict] = []
    if settings.CALL_STUN_URLS:
        servers.append({"urls": list(settings.CALL_STUN_URLS)})
    if settings.CALL_TURN_URLS and settings.CALL_TURN_SECRET:
        username = f"{int(time.time()) + settings.CALL_TURN_TTL}:{peer}"
        digest = hmac.new(
            settings.CALL_TURN_SECRET.encode(), username.encode(), hashlib.sha1
        ).digest()
        servers.append(
            {
                "urls": list(settings.CALL_TURN_URLS),
                "username": username,
                "credential": base64.b64encode(digest).decode(),
            }
        )
    return servers


def chat_payload(message: CallMessage) -> dict:
    return {
        "id": message.pk,
        "name": message.author_name,
        "body": message.body,
        "at": timezone.localtime(message.created_at).strftime("%H:%M"),
        "file": (
            {"id": message.pk, "name": message.original_name, "image": message.is_image}
            if message.file
            else None
        ),
    }


def chat_of(call: Call, *, limit: int = 200) -> list[CallMessage]:
    """The call's chat, oldest first (the last ``limit``)."""
    newest = list(CallMessage.objects.filter(call=call).order_by("-created_at", "-pk")[:limit])
    return newest[::-1]


def attendances_of(call: Call) -> list[CallAttendance]:
    """Everyone who was in the call or its waiting room, with who admitted the guests."""
    return list(
        CallAttendance.objects.filter(call=call)
        .select_related("admitted_by", "guest")
        .order_by("joined_at", "pk")
    )


def guests_of(call: Call) -> list[CallGuest]:
    return list(CallGuest.objects.filter(call=call).select_related("created_by", "call"))


def open_call_of_meeting(meeting_id: int) -> Call | None:
    return Call.objects.filter(meeting_id=meeting_id, ended_at__isnull=True).first()


def calls_of_meeting(meeting_id: int, *, limit: int = 10) -> list[Call]:
    return list(Call.objects.filter(meeting_id=meeting_id).order_by("-started_at")[:limit])


def present_in(call_id: int) -> list[CallAttendance]:
    """Who is in the call now (admitted, and heard of lately), in order of joining."""
    return list(
        CallAttendance.objects.filter(call_id=call_id).present().order_by("joined_at", "pk")
    )


def present_in_call(call: Call) -> list[str]:
    """The names of who is in the call now (presence on the MDO page)."""
    return [attendance.name for attendance in present_in(call.pk)]


def waiting_in(call_id: int) -> list[CallAttendance]:
    """The guests in the waiting room (their link not revoked), in order of arrival."""
    return list(
        CallAttendance.objects.filter(call_id=call_id, guest__revoked_at__isnull=True)
        .waiting()
        .select_related("guest")
        .order_by("joined_at", "pk")
    )


def own_attendance(call: Call, *, user=None, guest=None) -> CallAttendance | None:
    """The browser of this user (or guest link) that is in the call now, the newest."""
    rows = CallAttendance.objects.filter(call=call).present()
    rows = rows.filter(user=user) if user is not None else rows.filter(guest=guest)
    return rows.order_by("-joined_at").first()


def file_of(call: Call, pk) -> CallMessage | None:
    try:
        return CallMessage.objects.filter(call=call, pk=pk).exclude(file="").first()
    except (ValueError, TypeError):
        return None
