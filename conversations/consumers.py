"""The live edge: one websocket per open page. Thin — rules live in access and services.

Frames from the browser (JSON), each checked field by field (``conversations.live_frames``):
  {"type": "subscribe", "conversation": 12, "after": 345}  -> join, then everything after 345
  {"type": "read", "conversation": 12, "message": 350}      -> read up to 350
  {"type": "ping", "away": false}                            -> presence, every 30 s
  {"type": "send", "conversation": 12, "body": "...", "client_key": "<uuid>"}
                                                             -> store, then ack ("sent")
Frames to the browser: "messages" (catch-up), "message" (live), "inbox" (counts changed, for
conversations the page does not follow: those have their message frames),
"conversation" (state changed), "referrals" (a referral changed), "his" (an export to the
practice's HIS failed), "actions" (my health-plan actions changed), "alerts" (the practice's
home-measurement alerts changed), "revoked", "error", "pong", "sent" (a send stored: its id,
and a fresh client key for the composer's next message).

A ``send`` is the composer's form POST without the page request: the same ``MessageForm``
rules, the same ``message_send`` (idempotent on the client key) and the same access rule. What
the POST would refuse (an empty or oversized text, a conversation that is closed, not found or
not yours, or a frame with fields a send does not have) is an ``error`` frame naming the
conversation and client key with the Dutch message the form shows; the socket stays open.

The user comes from the session (AuthMiddlewareStack); the origin is checked by
AllowedHostsOriginValidator (regiozorg/asgi.py). Authorisation happens before joining a group,
and again whenever the user's access changes (a shared inbox membership ends, say).

A socket follows its session and its user's rights, as a page request does: before acting on a
frame or sending a push it makes sure it checked them (``grant_for``: the session row, its idle and
absolute clocks, the user, the second-factor policy, the memberships) at most ``RECHECK_SECONDS``
ago, and not before the session's own deadline; without traffic a timer looks at that deadline.
For busy sockets the process's ``RightsWatch`` does that look for all of them at once, comparing
fingerprints of those rows, and sends a socket whose rows changed to look again.
A ping is the exception (``_alive``): it only refreshes the user's own presence key in Redis, so
it runs no SQL and looks at the session's deadline alone.
The socket closes with 4401 when the session is over (logout, ended, timed out, user gone) and
with 4403 when the user's memberships or rights differ from when it opened (the page reconnects
and gets the new ones). Logout, ended sessions and changed rights are pushed to the user's group
(``session.ended``, ``access.changed``), so they take effect at once. Socket frames are no
session activity: only page requests keep a session alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.middleware import language_for
from accounts.presence import online_atouch
from conversations import realtime, selectors
from conversations.access import conversation_get_for
from conversations.forms import MessageForm
from conversations.live_frames import SendRefused, frame_parse, send_form
from conversations.live_grant import Grant, fingerprints, grant_again, secure_grant
from conversations.live_process import (
    Presence,
    ReadMarks,
    RightsWatch,
    database_sync_to_async,
)
from conversations.models import Conversation
from conversations.services.messages import message_send, read_up_to
from network.access import Actor

logger = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 20
# How long a socket trusts its last look at the session and the rights. Changes made through
# the services arrive at once over the channel layer; this bounds anything else (an edit in
# the database, a session row deleted) and costs a handful of queries per socket per window.
RECHECK_SECONDS = 3.0
# Each process looks at the fingerprints of all its active sockets' grants (the session row,
# the user, the memberships, the second factors: four queries for any number of sockets) twice
# per ``RECHECK_SECONDS``; a socket whose fingerprint is unchanged trusts its grant another
# window, one whose fingerprint changed looks again at once. The conversations a socket may
# see are looked at again on this slower clock (and at once when a service says so).
FULL_CHECK_SECONDS = 120.0
# A page marks read as messages scroll into view; per socket and conversation the marks are
# merged and stored at most this often (the first at once), so a burst costs one or two writes.
READ_EVERY_SECONDS = 1.0
CLOSE_SESSION_OVER = 4401  # logged out, ended, timed out, deactivated: the page reloads
CLOSE_RIGHTS_CHANGED = 4403  # memberships or rights differ: the page reconnects


RIGHTS_WATCH = RightsWatch(lambda: RECHECK_SECONDS / 2)
READ_MARKS = ReadMarks(READ_EVERY_SECONDS)
# Pings that change nobody's state are written together, once a second.
PRESENCE = Presence(1.0)


def _authorise(grant: Grant, conversation_id: int, *, log: bool = True) -> bool:
    """404 unless the actor may see it; patient conversations need a secure session too.
    True when the conversation is about a patient."""
    conversation = conversation_get_for(actor=grant.actor, pk=conversation_id, log=log)
    if conversation.patient_id and not secure_grant(grant):
        raise Http404
    return conversation.patient_id is not None


def _missed(actor: Actor, conversation_id: int, after: int) -> list[dict]:
    conversation = conversation_get_for(actor=actor, pk=conversation_id, log=False)
    return [
        realtime.message_payload(m)
        for m in selectors.messages_after(conversation=conversation, after=after)
    ]


def _read(actor: Actor, conversation_id: int, message_id: int, *, authorised: bool) -> None:
    """Mark read. A subscribed conversation was authorised on subscribe, and the socket leaves
    it as soon as access changes (``access_changed``): no second access query per read."""
    conversation = (
        Conversation(pk=conversation_id)
        if authorised
        else conversation_get_for(actor=actor, pk=conversation_id, log=False)
    )
    read_up_to(user=actor.user, conversation=conversation, message_id=message_id)


def _send(grant: Grant, conversation_id: int, form: MessageForm, *, authorised: bool) -> int:
    """Store the message as the form POST does; returns its id (the same id for a resent key).

    A subscribed conversation was authorised on subscribe and is left as soon as access
    changes (``access_changed``, and every ``RECHECK_SECONDS``), as for read marks and pushes:
    no second access query. ``message_send`` locks and reads the row itself (closed or not).
    """
    try:
        if not authorised:
            _authorise(grant, conversation_id, log=False)  # as the POST: sending is no reading
        message, _created = message_send(
            actor=grant.actor,
            conversation=Conversation(pk=conversation_id),
            body=form.cleaned_data["body"],
            client_key=form.cleaned_data["client_key"],
        )
    except (Http404, Conversation.DoesNotExist):
        raise SendRefused(_("This conversation was not found.")) from None
    except ValidationError as exc:
        raise SendRefused(" ".join(exc.messages)) from None
    return message.pk


class LiveConsumer(AsyncJsonWebsocketConsumer):
    grant: Grant | None = None
    ended = False  # closed by us: nothing more is sent, whatever is still on its way
    watch_task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.watch_task is not None:
                self.watch_task.cancel()

    async def dispatch(self, message):
        """Channels' dispatch without its ``close_old_connections`` before every frame and
        every push: that is a hop to the thread Django's sync code shares, for each of them,
        while this consumer's database work runs on ``live_process``'s threads, whose wrapper
        closes a broken or aged connection around each call. (The other database users here,
        Channels' session and auth middleware, do the same around their own calls.)"""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @property
    def actor(self) -> Actor:
        return self.grant.actor

    async def send_json(self, content, close=False):
        """A frame for a browser that has just gone away is dropped, not an application error:
        it closed between its own frame and our answer (a page left while its ping was being
        answered), and its next page opens a new socket and catches up."""
        if self.ended:
            return
        with contextlib.suppress(Disconnected):
            await super().send_json(content, close=close)

    async def connect(self):
        user, key = self.scope["user"], self.scope["session"].session_key
        if user is None or not user.is_authenticated or not key:
            await self.close(code=CLOSE_SESSION_OVER)
            return
        # The session read afresh after its fingerprint (as every later look), not the copy the
        # middleware read before: the fingerprint then never trusts older rows than the grant's.
        opened_at = time.time()
        self.grant, _keep, self.fingerprint = await database_sync_to_async(grant_again)(
            self.scope, key, user.pk, set(), set()
        )
        if self.grant is None:
            await self.close(code=CLOSE_SESSION_OVER)
            return
        self.session_key = key
        self.session_tag = realtime.session_tag(self.session_key)
        self.checked_until = min(time.time() + RECHECK_SECONDS, self.grant.ends_at)
        self.full_check_due = self._full_check_due(opened_at)
        self.used_at = 0.0
        self.watch_key = (self.session_key, self.actor.user.pk)
        self.check_lock = asyncio.Lock()
        self.subscribed: set[int] = set()
        self.about_patients: set[int] = set()  # subscribed and about a patient
        self.pending_reads: dict[int, int] = {}  # conversation -> highest id not yet stored
        self.read_stored_at: dict[int, float] = {}  # conversation -> when its mark was stored
        self.read_task: asyncio.Task | None = None
        self.user_group = realtime.user_group(self.actor.user.pk)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        self.watch_task = asyncio.create_task(self._watch())
        RIGHTS_WATCH.add(self)
        await online_atouch(self.actor.user.pk)

    async def disconnect(self, code):
        if self.grant is None:
            return
        if self.watch_task is not None:
            self.watch_task.cancel()
        RIGHTS_WATCH.discard(self)
        await self._leave_groups()
        if any(user == self.actor.user.pk for user, _c in READ_MARKS.pending):
            await READ_MARKS.flush()
        if self.read_task is not None and not self.read_task.done() and not self.ended:
            # Marks still waiting for their second are stored now, not lost with the page.
            self.read_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.read_task
            await self._store_reads(wait=False)
        # No "offline" here: another tab or the next page may already be connected; the
        # presence key simply expires when no page pings any more.

    async def _leave_groups(self):
        await self.channel_layer.group_discard(self.user_group, self.channel_name)
        for conversation_id in self.subscribed:
            await self.channel_layer.group_discard(
                realtime.conversation_group(conversation_id), self.channel_name
            )

    # --- the session and the rights --------------------------------------------------------

    async def _end(self, code: int) -> None:
        """Close now; from here on nothing is sent, also not what is already on its way."""
        if self.ended:
            return
        self.ended = True
        RIGHTS_WATCH.discard(self)
        with contextlib.suppress(Disconnected):
            await self.close(code=code)
        await self._leave_groups()

    async def _granted(self, *, now: bool = False) -> bool:
        """True while the socket may go on; otherwise it is closed. Looks at the session and
        the rights again when the last look is older than ``RECHECK_SECONDS`` or the session
        reached its deadline — or ``now``: something changed (``access.changed``)."""
        if self.ended:
            return False
        self.used_at = time.time()
        if not now and time.time() < self.checked_until:
            return True
        async with self.check_lock:
            if self.ended:
                return False
            if not now and time.time() < self.checked_until:
                return True  # looked at while this one waited
            if not now and await self._unchanged():
                return True
            subscribed = set(self.subscribed)
            looked_at = time.time()
            grant, keep, fingerprint = await database_sync_to_async(grant_again)(
                self.scope,
                self.session_key,
                self.actor.user.pk,
                subscribed,
                self.about_patients & subscribed,
            )
            if grant is None:
                await self._end(CLOSE_SESSION_OVER)
                return False
            if grant.rights != self.grant.rights:
                await self._end(CLOSE_RIGHTS_CHANGED)
                return False
            # No await before the subscriptions are trimmed: a push handled meanwhile must
            # not find a revoked conversation still subscribed within a fresh window.
            revoked = subscribed - keep
            self.subscribed -= revoked
            self.about_patients -= revoked
            self.grant = grant
            self.fingerprint, self.full_check_due = fingerprint, self._full_check_due(looked_at)
            self.checked_until = min(time.time() + RECHECK_SECONDS, grant.ends_at)
        for conversation_id in revoked:
            await self.channel_layer.group_discard(
                realtime.conversation_group(conversation_id), self.channel_name
            )
            await self.send_json({"type": "revoked", "conversation": conversation_id})
        return True

    async def _unchanged(self) -> bool:
        """A lapsed window of a socket that was quiet a while (the watch only looks at busy
        ones): its own fingerprint, four small queries, instead of the full look — unless the
        conversations are due to be looked at again."""
        looked_at = time.time()
        if self.fingerprint is None or looked_at >= self.full_check_due:
            return False
        found = await database_sync_to_async(fingerprints)([self.watch_key])
        if found.get(self.watch_key) != self.fingerprint:
            return False
        self.checked_until = max(
            self.checked_until, min(looked_at + RECHECK_SECONDS, self.grant.ends_at)
        )
        return True

    @staticmethod
    def _full_check_due(looked_at: float) -> float:
        """Spread over the second half of the window: sockets opened together (a restart, a
        busy morning) must not all look again in the same second."""
        return looked_at + FULL_CHECK_SECONDS * random.uniform(0.5, 1.0)

    def watched(self, fingerprint: tuple | None, at: float) -> None:
        """The rights watch's look, taken at ``at``: unchanged (and the conversations looked at
        less than ``FULL_CHECK_SECONDS`` ago) extends the trust window from then; changed (a
        session ended, a membership edited behind the services' back) looks again now."""
        if self.ended or self.fingerprint is None:
            return
        if fingerprint != self.fingerprint:
            asyncio.get_running_loop().create_task(self._look_again())
        elif at < self.full_check_due:
            self.checked_until = max(
                self.checked_until, min(at + RECHECK_SECONDS, self.grant.ends_at)
            )

    async def _alive(self) -> bool:
        """For a ping, which shows nothing and changes nothing but the user's own presence
        key (it expires by itself): no database look, only the session's deadline. Logout,
        ended sessions and changed rights arrive as pushes; at the deadline, ``_granted``."""
        if self.ended:
            return False
        if time.time() < self.grant.ends_at:
            return True
        return await self._granted(now=True)

    async def _look_again(self) -> None:
        try:
            await self._granted(now=True)
        except Exception:
            logger.warning("live socket: session check failed", exc_info=True)
            await self._end(1011)

    async def _watch(self):
        """Close within moments of the session's idle or absolute deadline, traffic or not.
        The session is read again then: a page request may have moved its idle clock on."""
        try:
            while not self.ended:
                await asyncio.sleep(max(self.grant.ends_at - time.time(), 0) + 0.05)
                await self._granted(now=True)
        except Exception:
            # Fail closed: a socket that cannot look at its session does not stay open.
            logger.warning("live socket: session check failed", exc_info=True)
            await self._end(1011)

    # --- frames from the browser -----------------------------------------------------------

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
        frame = frame_parse(content)
        ping = frame is not None and frame["type"] == "ping"
        if not (await self._alive() if ping else await self._granted()):
            return
        if frame is None:
            await self.send_json({"type": "error", "error": "invalid frame"})
            await self.close(code=4400)
            return
        if ping:
            await self._ping(frame["away"])
        elif frame["type"] == "subscribe":
            await self._subscribe(frame["conversation"], frame["after"])
        elif frame["type"] == "read":
            if frame["conversation"] in self.subscribed:
                READ_MARKS.add(self.actor.user.pk, frame["conversation"], frame["message"])
            else:
                self._queue_read(frame["conversation"], frame["message"])
        elif frame["type"] == "send":
            await self._send(frame["conversation"], content)

    async def _ping(self, away: bool) -> None:
        """Presence only: a ping is no session activity, or an open page would keep its session
        alive past the idle timeout. No database; in Redis, written together with the other
        pages' pings unless it changes the user's state."""
        await PRESENCE.touch(self.actor.user.pk, away)
        await self.send_json({"type": "pong"})

    async def _send(self, conversation_id: int, content: dict) -> None:
        """Store a message and ack it to this socket only; everyone subscribed (this page,
        the sender's other tabs, the other participants) gets the one rendered push."""
        client_key = content.get("client_key")
        answer = {
            "conversation": conversation_id,
            "client_key": client_key[:100] if isinstance(client_key, str) else None,
        }
        with translation.override(language_for(self.actor.user, self.scope.get("cookies"))):
            try:
                form = send_form(content)
                message_id = await database_sync_to_async(_send)(
                    self.grant,
                    conversation_id,
                    form,
                    authorised=conversation_id in self.subscribed,
                )
            except SendRefused as refused:
                await self.send_json({"type": "error", **answer, "error": str(refused)})
                return
        await self.send_json(
            {
                "type": "sent",
                **answer,
                "client_key": str(form.cleaned_data["client_key"]),
                "message": message_id,
                # As the htmx POST's fresh composer does: the next message gets a new key.
                "next_client_key": str(uuid.uuid4()),
            }
        )

    def _queue_read(self, conversation_id: int, message_id: int) -> None:
        """Read marks are stored in the background, so pushes to this socket never wait for
        them. Per conversation the first is stored at once and the rest at most once per
        ``READ_EVERY_SECONDS``; marks that arrive meanwhile are merged (the highest id counts)."""
        pending = self.pending_reads.get(conversation_id, 0)
        self.pending_reads[conversation_id] = max(pending, message_id)
        if self.read_task is None or self.read_task.done():
            self.read_task = asyncio.create_task(self._store_reads())

    async def _store_reads(self, *, wait: bool = True):
        while self.pending_reads and not self.ended:
            now = time.monotonic()
            due = [
                conversation_id
                for conversation_id in self.pending_reads
                if not wait
                or self.read_stored_at.get(conversation_id, 0) <= now - READ_EVERY_SECONDS
            ]
            if not due:
                next_at = min(self.read_stored_at[c] for c in self.pending_reads)
                await asyncio.sleep(next_at + READ_EVERY_SECONDS - now)
                continue
            for conversation_id in due:
                message_id = self.pending_reads.pop(conversation_id)
                self.read_stored_at[conversation_id] = time.monotonic()
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
            about_patient = await database_sync_to_async(_authorise)(self.grant, conversation_id)
        except Http404:
            await self.send_json(
                {"type": "error", "error": "not found", "conversation": conversation_id}
            )
            return
        if self.ended:
            return
        await self.channel_layer.group_add(
            realtime.conversation_group(conversation_id), self.channel_name
        )
        self.subscribed.add(conversation_id)
        if about_patient:
            self.about_patients.add(conversation_id)
        missed = await database_sync_to_async(_missed)(self.actor, conversation_id, after)
        await self.send_json({"type": "messages", "conversation": conversation_id, "items": missed})

    # --- events from the channel layer: each checked against the rights before it is sent ---

    async def message_created(self, event):
        conversation_id = event["conversation"]
        if (
            conversation_id in self.subscribed
            and await self._granted()
            and conversation_id in self.subscribed  # not revoked by that look
        ):
            await self.send_json({**event, "type": "message"})

    async def conversation_changed(self, event):
        if await self._granted():
            await self.send_json({"type": "conversation"})

    async def inbox_changed(self, event):
        if event["conversation"] in self.subscribed:
            # A conversation this page follows: its new messages come as message frames (which
            # refresh the list beside it, live.js), and it is read on this page, where its own
            # unread count is not shown. The reader's other pages still get the frame.
            return
        if await self._granted():
            await self.send_json({"type": "inbox", "conversation": event["conversation"]})

    async def referrals_changed(self, event):
        if await self._granted():
            await self.send_json({"type": "referrals", "referral": event["referral"]})

    async def actions_changed(self, event):
        if await self._granted():
            await self.send_json({"type": "actions"})

    async def measurement_alerts_changed(self, event):
        if await self._granted():
            await self.send_json({"type": "alerts"})

    async def his_changed(self, event):
        if await self._granted():
            await self.send_json({"type": "his"})

    async def access_changed(self, event):
        """Memberships, rights or patient access changed: look again now."""
        await self._granted(now=True)

    async def session_ended(self, event):
        """A logout or an ended session: this socket's own, or (``None``) all of the user's."""
        if event.get("session") in (None, self.session_tag):
            await self._end(CLOSE_SESSION_OVER)
