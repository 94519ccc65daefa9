"""The signalling socket of a video call: one per browser in the call. Thin — who may be in
which call is ``meetings.call_access``, who is in it ``meetings.call_services``.

Two doors:
- ``/ws/call/<uuid>/``: someone with an account, as their session says (the same grant as the
  live socket: session clocks, second factor, memberships; re-read at most every
  ``RECHECK_SECONDS`` and at once on ``session.ended``/``access.changed``). A patient's call
  needs a secure session, as the page.
- ``/ws/gesprek/<token>/``: a guest link's holder, with the name they gave on the guest page
  (a signed cookie). They wait until someone with an account admits them; a revoked or
  expired link, or the end of the call, closes the socket at once.

The media never pass here: browsers connect peer to peer (WebRTC), and this socket carries
their offers, answers and ICE candidates to one another. Frames (JSON) from the browser, each
validated (type, fields, sizes; unknown fields refused):
  {"type": "join"}                                    enter (a guest: the waiting room)
  {"type": "signal", "to": <peer>, "description": {"type": "offer"|"answer", "sdp": "…"}}
  {"type": "signal", "to": <peer>, "candidate": {"candidate": "…", "sdpMid": "0", …}}
  {"type": "state", "audio": true, "video": false, "screen": false}
  {"type": "chat", "body": "…", "client_key": "<uuid>"}
  {"type": "admit"|"deny", "peer": <peer>}            people with an account only
  {"type": "leave"}
A signal goes only to a peer admitted to the same call, from a peer admitted to it: a guest in
the waiting room neither sends nor receives one. Frames to the browser: ``welcome`` (your peer
id, who is in the call, the ICE servers with short-lived TURN credentials), ``waiting``,
``admitted``, ``lobby`` (the waiting room, for people with an account), ``peer-joined``,
``peer-left``, ``signal``, ``state``, ``chat``, ``error``, and before closing ``ended``,
``revoked``, ``denied``.

A dropped socket is a browser that left: the others drop its connection, and the page that
comes back joins again as a new peer (fresh offers, a fresh ICE negotiation) while the others
stay connected to each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.middleware import language_for
from conversations import realtime
from conversations.live_grant import grant_again, secure_grant
from conversations.live_process import database_sync_to_async
from meetings import call_services as services
from meetings.call_access import (
    GUEST_COOKIE,
    GuestLinkGone,
    call_get_for,
    guest_cookie_read,
    guest_get,
    guest_still_works,
)
from meetings.call_frames import HOST_ONLY, MAX_FRAME_BYTES, BadFrame, frame_check
from meetings.call_selectors import ice_servers_for, present_in, waiting_in
from meetings.models import CALL_HEARTBEAT_SECONDS, Call, CallAttendance

RECHECK_SECONDS = 3.0
MAX_FRAMES_PER_SECOND = 100  # ICE candidates come in bursts; more is abuse

CLOSE_SESSION_OVER = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_DENIED = 4409
CLOSE_GONE = 4410  # the link was revoked or expired, or the call ended
CLOSE_ABUSE = 4429


def _lobby(call_id: int) -> list[dict]:
    return [
        {"peer": a.peer, "name": a.name, "kind": a.guest.kind}
        for a in waiting_in(call_id)
        if a.guest is not None
    ]


def _roster(call_id: int) -> list[dict]:
    return [
        {"peer": a.peer, "name": a.name, "guest": a.is_guest, "channel": a.channel_name}
        for a in present_in(call_id)
    ]


class CallConsumer(AsyncJsonWebsocketConsumer):
    call_id: int | None = None
    peer: str | None = None
    joined = False  # admitted and in the call group
    ended = False
    is_host = False
    guest_pk: int | None = None

    # --- plumbing ------------------------------------------------------------------------------

    async def dispatch(self, message):
        """The user's group carries the live page's pushes too (inbox, referrals, …): a call
        socket has no handler for those and lets them pass. No ``close_old_connections`` per
        event: the database work runs on ``live_process``'s threads, which do that."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is not None:
            await handler(message)

    async def send_json(self, content, close=False):
        if self.ended:
            return
        with contextlib.suppress(Disconnected):
            await super().send_json(content, close=close)

    async def _close(self, code: int, frame: dict | None = None) -> None:
        if self.ended:
            return
        if frame is not None:
            await self.send_json(frame)
        self.ended = True
        with contextlib.suppress(Disconnected):
            await self.close(code=code)
        await self._leave()

    async def _error(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})

    # --- connecting ------------------------------------------------------------------------------

    async def connect(self):
        self.frames: list[float] = []
        self.peers: dict[str, str] = {}  # admitted peers of the call -> their channel
        self.groups: list[str] = []
        kwargs = self.scope["url_route"]["kwargs"]
        if "token" in kwargs:
            ok = await self._connect_guest(kwargs["token"])
        else:
            ok = await self._connect_user(kwargs["room"])
        if not ok:
            return
        await self.accept()
        self.watch_task = asyncio.create_task(self._watch())

    async def _connect_user(self, room) -> bool:
        user, key = self.scope["user"], self.scope["session"].session_key
        if user is None or not user.is_authenticated or not key:
            await self.close(code=CLOSE_SESSION_OVER)
            return False
        self.session_key, self.user_id = key, user.pk
        grant, _keep, _fp = await database_sync_to_async(grant_again)(
            self.scope, key, user.pk, set(), set()
        )
        if grant is None:
            await self.close(code=CLOSE_SESSION_OVER)
            return False
        call = await database_sync_to_async(self._call_for)(grant, room)
        if call is None:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return False
        self.grant, self.room = grant, room
        self.checked_at = time.time()
        self.language, self.name = await database_sync_to_async(_language_and_name)(
            grant.actor, self.scope.get("cookies")
        )
        self.call_id, self.is_host = call.pk, True
        self.session_tag = realtime.session_tag(key)
        await self._group_add(realtime.user_group(user.pk))
        await self._group_add(services.call_hosts_group(call.pk))
        return True

    @staticmethod
    def _call_for(grant, room) -> Call | None:
        try:
            access = call_get_for(actor=grant.actor, uuid=room, log=False)
        except Http404:
            return None
        if not access.call.is_open:
            return None
        if access.about_patient and not secure_grant(grant):
            return None
        return access.call

    async def _connect_guest(self, token) -> bool:
        try:
            guest = await database_sync_to_async(guest_get)(token)
        except (Http404, GuestLinkGone):
            await self.close(code=CLOSE_GONE)
            return False
        raw = self.scope.get("cookies", {}).get(GUEST_COOKIE)
        name = guest_cookie_read(raw, guest.pk)
        if name is None:
            await self.close(code=CLOSE_NOT_ALLOWED)  # the page asks the name first
            return False
        self.guest, self.guest_pk = guest, guest.pk
        self.call_id, self.name = guest.call_id, name
        self.language = language_for(None, self.scope.get("cookies"))
        self.expires_at = guest.expires_at.timestamp()
        await self._group_add(services.guest_group(guest.pk))
        return True

    async def _group_add(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)

    async def _leave(self) -> None:
        if getattr(self, "watch_task", None) is not None:
            self.watch_task.cancel()
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups = []
        if self.peer is not None:
            peer, self.peer = self.peer, None
            was_in = await database_sync_to_async(services.attendance_leave)(peer=peer)
            if was_in and self.call_id is not None:
                await self.channel_layer.group_send(
                    services.call_group(self.call_id), {"type": "call.left", "peer": peer}
                )
                await self.channel_layer.group_send(
                    services.call_hosts_group(self.call_id), {"type": "call.lobby"}
                )

    async def disconnect(self, code):
        self.ended = True
        await self._leave()

    async def _watch(self) -> None:
        """Without frames, the session's and the link's clocks still run out; and every
        ``CALL_HEARTBEAT_SECONDS`` the attendance row hears that this browser is still here."""
        beats = max(1, round(CALL_HEARTBEAT_SECONDS / RECHECK_SECONDS))
        try:
            tick = 0
            while not self.ended:
                await asyncio.sleep(RECHECK_SECONDS)
                if not await self._allowed(force=True):
                    return
                tick += 1
                if self.peer is not None and tick % beats == 0:
                    await database_sync_to_async(services.attendance_seen)(peer=self.peer)
        except asyncio.CancelledError:
            pass

    async def _allowed(self, *, force: bool = False) -> bool:
        """The session and rights (a user) or the link (a guest), looked at again when the last
        look is older than ``RECHECK_SECONDS`` (or ``force``). Closes the socket when they end."""
        if self.ended:
            return False
        if self.guest_pk is not None:
            if time.time() >= self.expires_at:
                await self._close(CLOSE_GONE, {"type": "revoked"})
                return False
            if force and not await database_sync_to_async(guest_still_works)(self.guest_pk):
                await self._close(CLOSE_GONE, {"type": "revoked"})
                return False
            return True
        if not force and time.time() - self.checked_at < RECHECK_SECONDS:
            return True
        grant, _keep, _fp = await database_sync_to_async(grant_again)(
            self.scope, self.session_key, self.user_id, set(), set()
        )
        if grant is None:
            await self._close(CLOSE_SESSION_OVER)
            return False
        if await database_sync_to_async(self._call_for)(grant, self.room) is None:
            await self._close(CLOSE_NOT_ALLOWED, {"type": "ended"})
            return False
        self.grant, self.checked_at = grant, time.time()
        return True

    # --- frames from the browser -----------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.ended:
            return
        now = time.monotonic()
        self.frames = [t for t in self.frames if now - t < 1.0] + [now]
        if len(self.frames) > MAX_FRAMES_PER_SECOND:
            await self._close(CLOSE_ABUSE)
            return
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self._error("frame too large or not text")
            return
        try:
            content = frame_check(json.loads(text_data))
        except (ValueError, BadFrame) as exc:
            await self._error(str(exc)[:200])
            return
        kind = content["type"]
        if kind in HOST_ONLY and not self.is_host:
            await self._error("not allowed")
            return
        if kind != "signal" and not await self._allowed():
            return
        with translation.override(self.language):
            await getattr(self, f"on_{kind}")(content)

    async def on_ping(self, content):
        await self.send_json({"type": "pong"})

    async def on_join(self, content):
        if self.peer is not None:
            return
        peer = services.new_peer()
        try:
            attendance = await database_sync_to_async(services.attendance_join)(
                call_id=self.call_id,
                peer=peer,
                channel_name=self.channel_name,
                name=self.name,
                user=self.grant.actor.user if self.is_host else None,
                membership=self.grant.actor.membership if self.is_host else None,
                guest=None if self.is_host else self.guest,
            )
        except services.CallFull:
            await self._error(
                _("This call is full (at most %(n)s people).") % {"n": settings.CALL_MAX_PEERS}
            )
            return
        except services.LinkInUse:
            await self._error(_("This link is already open in other browsers."))
            return
        except Call.DoesNotExist:
            await self._close(CLOSE_GONE, {"type": "ended"})
            return
        self.peer = attendance.peer
        if self.is_host:
            await self._enter()
            await self.send_json({"type": "lobby", "waiting": await self._lobby()})
        else:
            await self.send_json({"type": "waiting"})
            await self.channel_layer.group_send(
                services.call_hosts_group(self.call_id), {"type": "call.lobby"}
            )

    async def _lobby(self) -> list[dict]:
        return await database_sync_to_async(_lobby)(self.call_id)

    async def _enter(self) -> None:
        """Admitted: into the call's group, then tell the others (they wait for our offers)."""
        await self._group_add(services.call_group(self.call_id))
        roster = await database_sync_to_async(_roster)(self.call_id)
        self.peers = {p["peer"]: p["channel"] for p in roster if p["peer"] != self.peer}
        self.joined = True
        await self.send_json(
            {
                "type": "welcome",
                "you": self.peer,
                "host": self.is_host,
                "peers": [
                    {"peer": p["peer"], "name": p["name"], "guest": p["guest"]}
                    for p in roster
                    if p["peer"] != self.peer
                ],
                "ice_servers": ice_servers_for(self.peer),
            }
        )
        await self.channel_layer.group_send(
            services.call_group(self.call_id),
            {
                "type": "call.joined",
                "peer": self.peer,
                "name": self.name,
                "guest": not self.is_host,
                "channel": self.channel_name,
            },
        )

    async def on_signal(self, content):
        if not self.joined:
            await self._error("not in the call")
            return
        channel = self.peers.get(content["to"])
        if channel is None:
            await self._error("unknown peer")
            return
        body = {k: v for k, v in content.items() if k in ("description", "candidate")}
        await self.channel_layer.send(
            channel, {"type": "call.signal", "from": self.peer, "to": content["to"], **body}
        )

    async def on_state(self, content):
        if self.joined:
            await self.channel_layer.group_send(
                services.call_group(self.call_id),
                {
                    "type": "call.state",
                    "peer": self.peer,
                    **{k: content[k] for k in ("audio", "video", "screen")},
                },
            )

    async def on_chat(self, content):
        if not self.joined:
            await self._error("not in the call")
            return
        try:
            await database_sync_to_async(self._chat_store)(content)
        except ValidationError as exc:
            await self._error(" ".join(exc.messages))

    def _chat_store(self, content) -> None:
        attendance = CallAttendance.objects.get(peer=self.peer)
        services.message_post(
            attendance=attendance, body=content["body"], client_key=content["client_key"]
        )

    async def on_admit(self, content):
        if not self.joined:
            return
        try:
            attendance = await database_sync_to_async(services.guest_admit)(
                user=self.grant.actor.user, call_id=self.call_id, peer=content["peer"]
            )
        except services.CallFull:
            await self._error(
                _("This call is full (at most %(n)s people).") % {"n": settings.CALL_MAX_PEERS}
            )
            return
        if attendance is not None:
            await self.channel_layer.send(
                attendance.channel_name, {"type": "call.admitted", "peer": attendance.peer}
            )
        await self.channel_layer.group_send(
            services.call_hosts_group(self.call_id), {"type": "call.lobby"}
        )

    async def on_deny(self, content):
        attendance = await database_sync_to_async(services.guest_deny)(
            call_id=self.call_id, peer=content["peer"]
        )
        if attendance is not None:
            await self.channel_layer.send(attendance.channel_name, {"type": "call.denied"})
        await self.channel_layer.group_send(
            services.call_hosts_group(self.call_id), {"type": "call.lobby"}
        )

    async def on_leave(self, content):
        await self._close(1000)

    # --- events from the channel layer -----------------------------------------------------------

    async def call_joined(self, event):
        if event["peer"] == self.peer or not self.joined:
            return
        self.peers[event["peer"]] = event["channel"]
        await self.send_json(
            {
                "type": "peer-joined",
                "peer": event["peer"],
                "name": event["name"],
                "guest": event["guest"],
            }
        )

    async def call_left(self, event):
        if self.peers.pop(event["peer"], None) is not None:
            await self.send_json({"type": "peer-left", "peer": event["peer"]})

    async def call_signal(self, event):
        # Only from a peer admitted to this call, only to this socket's own peer.
        if not self.joined or event["from"] not in self.peers or event["to"] != self.peer:
            return
        body = {k: event[k] for k in ("description", "candidate") if k in event}
        await self.send_json({"type": "signal", "from": event["from"], **body})

    async def call_state(self, event):
        if self.joined and event["peer"] != self.peer and event["peer"] in self.peers:
            await self.send_json(
                {"type": "state", **{k: event[k] for k in ("peer", "audio", "video", "screen")}}
            )

    async def call_chat(self, event):
        if self.joined:
            await self.send_json({"type": "chat", "message": event["message"]})

    async def call_lobby(self, event):
        if self.is_host and self.joined:
            await self.send_json({"type": "lobby", "waiting": await self._lobby()})

    async def call_admitted(self, event):
        if self.is_host or self.joined or event.get("peer") != self.peer:
            return
        if not await self._allowed(force=True):
            return
        await self.send_json({"type": "admitted"})
        await self._enter()

    async def call_denied(self, event):
        self.peer = None  # already marked as left
        await self._close(CLOSE_DENIED, {"type": "denied"})

    async def call_ended(self, event):
        await self._close(CLOSE_GONE, {"type": "ended"})

    async def guest_revoked(self, event):
        await self._close(CLOSE_GONE, {"type": "revoked"})

    async def session_ended(self, event):
        if event.get("session") in (None, self.session_tag):
            await self._close(CLOSE_SESSION_OVER)

    async def access_changed(self, event):
        await self._allowed(force=True)


def _language_and_name(actor, cookies) -> tuple[str, str]:
    user = actor.user
    name = user.get_full_name() or user.get_username()
    organisation = actor.membership.organisation.name if actor.membership else ""
    return language_for(user, cookies), (f"{name} ({organisation})" if organisation else name)[:100]
