"""The live edge: one websocket per open page. Thin — rules live in access and services.

Frames from the browser (JSON), each validated with a form:
  {"type": "subscribe", "conversation": 12, "after": 345}  -> join, then everything after 345
  {"type": "read", "conversation": 12, "message": 350}      -> read up to 350
  {"type": "ping", "away": false}                            -> presence, every 30 s
Frames to the browser: "messages" (catch-up), "message" (live), "inbox" (counts changed),
"conversation" (state changed), "referrals" (a referral changed), "revoked", "error", "pong".

The user comes from the session (AuthMiddlewareStack); the origin is checked by
AllowedHostsOriginValidator (regiozorg/asgi.py). Authorisation happens before joining a group,
and again whenever the user's access changes (a shared inbox membership ends, say).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from types import SimpleNamespace

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django import forms
from django.db import close_old_connections
from django.http import Http404

from accounts.mfa_policy import has_second_factor, second_factor_required
from accounts.presence import online_touch
from accounts.secure_session import secure_session_active
from conversations import realtime, selectors
from conversations.access import conversation_get_for, conversations_visible_to
from conversations.models import Conversation
from conversations.services.messages import read_up_to
from network.access import Actor
from network.selectors import ACTIVE_ORGANISATION_SESSION_KEY, membership_active, memberships_for

MAX_SUBSCRIPTIONS = 20


def database_sync_to_async(func):
    """Database work of a socket, in the thread pool rather than the one thread that Django's
    sync views share: hundreds of sockets must not queue behind each other (or behind a page
    request) for their reads and subscriptions. Every call here is independent of thread
    identity (no transactions span calls), and connections are closed as usual."""

    @functools.wraps(func)
    def closing(*args, **kwargs):
        # Django keeps connections per context; asgiref runs ``func`` in a copy of the caller's
        # context, where the clean-up around it cannot see them: close them in here.
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return _database_sync_to_async(closing, thread_sensitive=False)


MAX_ID = 2**62  # ids are bigint: anything larger is not an id


class FrameForm(forms.Form):
    type = forms.ChoiceField(choices=[(t, t) for t in ("subscribe", "read", "ping")])
    conversation = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    after = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    message = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    away = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        kind = data.get("type")
        if kind in ("subscribe", "read") and not data.get("conversation"):
            raise forms.ValidationError("conversation required")
        if kind == "read" and not data.get("message"):
            raise forms.ValidationError("message required")
        return data


def _actor_for(scope) -> Actor | None:
    user = scope.get("user")
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    memberships = memberships_for(user=user)
    if second_factor_required(user=user, memberships=memberships) and not has_second_factor(user):
        return None  # the same policy as RequireSecondFactorMiddleware for pages
    membership = membership_active(
        memberships=memberships,
        organisation_id=scope["session"].get(ACTIVE_ORGANISATION_SESSION_KEY),
    )
    client = scope.get("client") or (None, None)
    headers = dict(scope.get("headers") or [])
    return Actor(
        user=user,
        membership=membership,
        ip_address=client[0],
        user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:300],
        request_id="websocket",
    )


def _authorise(actor: Actor, scope, conversation_id: int) -> None:
    """404 unless the actor may see it; patient conversations need a secure session too."""
    conversation = conversation_get_for(actor=actor, pk=conversation_id)
    if conversation.patient_id and not secure_session_active(
        SimpleNamespace(session=scope["session"], user=actor.user)
    ):
        raise Http404


def _missed(actor: Actor, conversation_id: int, after: int) -> list[dict]:
    conversation = conversation_get_for(actor=actor, pk=conversation_id, log=False)
    return [
        realtime.message_payload(m)
        for m in selectors.messages_after(conversation=conversation, after=after)
    ]


def _still_visible(actor: Actor, conversation_ids: set[int]) -> set[int]:
    return set(
        conversations_visible_to(actor).filter(pk__in=conversation_ids).values_list("pk", flat=True)
    )


def _read(actor: Actor, conversation_id: int, message_id: int, *, authorised: bool) -> None:
    """Mark read. A subscribed conversation was authorised on subscribe, and the socket leaves
    it as soon as access changes (``access_changed``): no second access query per read."""
    conversation = (
        Conversation(pk=conversation_id)
        if authorised
        else conversation_get_for(actor=actor, pk=conversation_id, log=False)
    )
    read_up_to(user=actor.user, conversation=conversation, message_id=message_id)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def send_json(self, content, close=False):
        """A frame for a browser that has just gone away is dropped, not an application error:
        it closed between its own frame and our answer (a page left while its ping was being
        answered), and its next page opens a new socket and catches up."""
        with contextlib.suppress(Disconnected):
            await super().send_json(content, close=close)

    async def connect(self):
        self.actor = await database_sync_to_async(_actor_for)(self.scope)
        if self.actor is None:
            await self.close(code=4401)
            return
        self.subscribed: set[int] = set()
        self.pending_reads: dict[int, int] = {}
        self.read_task: asyncio.Task | None = None
        self.user_group = realtime.user_group(self.actor.user.pk)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        await database_sync_to_async(online_touch)(self.actor.user.pk)

    async def disconnect(self, code):
        if getattr(self, "actor", None) is None:
            return
        await self.channel_layer.group_discard(self.user_group, self.channel_name)
        for conversation_id in self.subscribed:
            await self.channel_layer.group_discard(
                realtime.conversation_group(conversation_id), self.channel_name
            )
        # No "offline" here: another tab or the next page may already be connected; the
        # presence key simply expires when no page pings any more.

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Only JSON text frames; anything else is refused like an invalid frame."""
        try:
            content = await self.decode_json(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if content is None:
            await self.send_json({"type": "error", "error": "invalid frame"})
            await self.close(code=4400)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        form = FrameForm(content if isinstance(content, dict) else {})
        if not form.is_valid():
            await self.send_json({"type": "error", "error": "invalid frame"})
            await self.close(code=4400)
            return
        frame = form.cleaned_data
        if frame["type"] == "ping":
            await database_sync_to_async(online_touch)(self.actor.user.pk, away=frame["away"])
            await self.send_json({"type": "pong"})
        elif frame["type"] == "subscribe":
            await self._subscribe(frame["conversation"], frame.get("after") or 0)
        elif frame["type"] == "read":
            self._queue_read(frame["conversation"], frame["message"])

    def _queue_read(self, conversation_id: int, message_id: int) -> None:
        """Read marks are stored in the background, so pushes to this socket never wait for
        them; marks that arrive meanwhile are merged (only the highest id counts)."""
        pending = self.pending_reads.get(conversation_id, 0)
        self.pending_reads[conversation_id] = max(pending, message_id)
        if self.read_task is None or self.read_task.done():
            self.read_task = asyncio.create_task(self._store_reads())

    async def _store_reads(self):
        while self.pending_reads:
            conversation_id, message_id = self.pending_reads.popitem()
            try:
                await database_sync_to_async(_read)(
                    self.actor,
                    conversation_id,
                    message_id,
                    authorised=conversation_id in self.subscribed,
                )
            except Http404:
                await self.send_json({"type": "error", "error": "not found"})

    async def _subscribe(self, conversation_id: int, after: int):
        if conversation_id not in self.subscribed and len(self.subscribed) >= MAX_SUBSCRIPTIONS:
            await self.send_json({"type": "error", "error": "too many subscriptions"})
            return
        try:
            # Authorise first; only then join the group, then send what was missed. A message
            # stored between the two arrives twice at most; the page drops duplicates by id.
            await database_sync_to_async(_authorise)(self.actor, self.scope, conversation_id)
        except Http404:
            await self.send_json(
                {"type": "error", "error": "not found", "conversation": conversation_id}
            )
            return
        await self.channel_layer.group_add(
            realtime.conversation_group(conversation_id), self.channel_name
        )
        self.subscribed.add(conversation_id)
        missed = await database_sync_to_async(_missed)(self.actor, conversation_id, after)
        await self.send_json({"type": "messages", "conversation": conversation_id, "items": missed})

    # --- events from the channel layer -----------------------------------------------------

    async def message_created(self, event):
        if event["conversation"] in self.subscribed:
            await self.send_json({**event, "type": "message"})

    async def conversation_changed(self, event):
        await self.send_json({"type": "conversation"})

    async def inbox_changed(self, event):
        await self.send_json({"type": "inbox", "conversation": event["conversation"]})

    async def referrals_changed(self, event):
        await self.send_json({"type": "referrals", "referral": event["referral"]})

    async def access_changed(self, event):
        keep = await database_sync_to_async(_still_visible)(self.actor, set(self.subscribed))
        for conversation_id in self.subscribed - keep:
            await self.channel_layer.group_discard(
                realtime.conversation_group(conversation_id), self.channel_name
            )
            await self.send_json({"type": "revoked", "conversation": conversation_id})
        self.subscribed &= keep
