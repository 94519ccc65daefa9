"""Group names and publish helpers for live updates. No business rules here.

Publishing happens after commit. A channel layer that is away (Redis down) must never undo or
block a send: the message is stored; clients catch up when they reconnect.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


# A Redis that hangs must not hold a send: all pushes of one event share this budget; what
# does not go out in time is dropped (the message is stored, clients catch up on reconnect).
SEND_TIMEOUT_SECONDS = 1.0


async def _send_all(pairs: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if isinstance(layer, RedisPubSubChannelLayer):
        sending = _publish_pipelined(layer, pairs)
    else:
        sending = asyncio.gather(*(layer.group_send(group, event) for group, event in pairs))
    await asyncio.wait_for(sending, timeout=SEND_TIMEOUT_SECONDS)


async def _publish_pipelined(layer: RedisPubSubChannelLayer, pairs: list[tuple[str, dict]]):
    """The pushes of one event (a message: its conversation and each reader's inbox) as one
    pipelined round trip per Redis shard, instead of one PUBLISH after the other: what
    ``group_send`` does for each, on the layer's own connection for this loop (channels-redis
    4.3, pinned). ``tests/conversations/test_scale_out.py`` delivers through it."""
    loop_layer = layer._get_layer()
    by_shard: dict = {}
    for group, event in pairs:
        channel = loop_layer._get_group_channel_name(group)
        by_shard.setdefault(loop_layer._get_shard(channel), []).append(
            (channel, layer.serialize(event))
        )
    for shard, messages in by_shard.items():
        async with shard._lock:
            shard._ensure_redis()
            pipe = shard._redis.pipeline(transaction=False)
            for channel, data in messages:
                pipe.publish(channel, data)
            await pipe.execute()


class _PublisherLoop:
    """One long-lived event loop thread per process for publishing from plain sync code (a
    Celery worker, a management command, a WSGI server).

    ``async_to_sync`` outside an ASGI server starts a fresh event loop for every call, and the
    Redis channel layers keep their connections per event loop: every push would open (and
    drop) a Redis connection, several milliseconds each. Inside Daphne ``async_to_sync`` would
    use the server's loop, and a page request would wait for its turn among the sockets. A
    forked child (Celery prefork) starts its own thread.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="realtime-publisher", daemon=True
                ).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def run(self, pairs: list[tuple[str, dict]]) -> None:
        future = asyncio.run_coroutine_threadsafe(_send_all(pairs), self.loop())
        try:
            future.result(timeout=SEND_TIMEOUT_SECONDS + 0.5)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise


_publisher = _PublisherLoop()


def _publish(pairs: list[tuple[str, dict]]) -> None:
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        if isinstance(layer, InMemoryChannelLayer):
            # The in-memory layer's queues belong to the loop of the consumers that read them.
            async_to_sync(_send_all)(pairs)
        else:
            # Also inside Daphne: a page request then waits for Redis only, not for its turn on
            # the server loop that is busy with hundreds of sockets.
            _publisher.run(pairs)
    except Exception:
        # Live delivery is best effort; the database has the data.
        logger.warning("live update to %s not delivered", [g for g, _e in pairs], exc_info=True)


def render_message(message) -> str:
    """The one fragment for a message: page, htmx response and websocket push all use it."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "conversations/partials/message.html", {"message": message, "live": True}
        )


def message_payload(message, *, previous_id: int = 0) -> dict:
    """``previous`` is the conversation's message before this one: a page that has not got that
    one missed a push, and asks for everything after what it has instead of showing a gap."""
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "author": message.author_id,
        "previous": previous_id,
        "html": render_message(message),
    }


def message_created(message, *, previous_id: int = 0) -> Callable[[], None]:
    """Prepare the pushes for a new message and return the callable that sends them.

    Called inside the sending transaction with the message as it was just stored (its author,
    organisation and attachments in hand, not read back), so the fragment is rendered and the
    recipients are looked up before commit; what runs after commit (``transaction.on_commit``)
    is only the publish and queueing the mail — the message reaches open pages sooner.
    """
    from conversations.selectors import recipient_user_ids

    message_id = message.pk
    changed = {"type": "inbox.changed", "conversation": message.conversation_id}
    pushes = [
        (
            conversation_group(message.conversation_id),
            {"type": "message.created", **message_payload(message, previous_id=previous_id)},
        )
    ]
    pushes += [
        (user_group(user_id), changed)
        for user_id in recipient_user_ids(conversation_id=message.conversation_id)
    ]

    def publish() -> None:
        _publish(pushes)
        from conversations import tasks_notify

        try:
            tasks_notify.notify_soon(message.conversation_id)
        except Exception:
            logger.warning("notification for message %s not queued", message_id, exc_info=True)

    return publish


def read_changed(user_id: int, conversation_id: int) -> None:
    """The reader's other pages update their unread counts. Read marks of others are shown when
    a page loads, not pushed: one push per read to every participant cost more than it showed."""
    _publish([(user_group(user_id), {"type": "inbox.changed", "conversation": conversation_id})])


def reads_changed(marks: list[tuple[int, int]]) -> None:
    """``read_changed`` for many (user, conversation) marks, in one publish."""
    _publish(
        [
            (user_group(user_id), {"type": "inbox.changed", "conversation": conversation_id})
            for user_id, conversation_id in marks
        ]
    )


def conversation_changed(conversation_id: int) -> None:
    _publish([(conversation_group(conversation_id), {"type": "conversation.changed"})])


def access_changed(user_id: int) -> None:
    """Tell the user's open websockets to authorise again at once: a socket whose user or
    memberships changed closes (4403), subscriptions no longer visible are revoked."""
    _publish([(user_group(user_id), {"type": "access.changed"})])


def publish(pairs: list[tuple[str, dict]]) -> None:
    """Push events to groups, best effort (for apps that may not import this one: the top
    floor hands it to them, as to ``meetings.hooks``)."""
    _publish(pairs)


def session_tag(session_key: str) -> str:
    """Names a session on the channel layer without handing its key to Redis."""
    return salted_hmac("conversations.realtime.session", session_key).hexdigest()


def session_ended(user_id: int, session_key: str | None) -> None:
    """Close the user's websockets of this session (``None``: of every session) at once."""
    tag = session_tag(session_key) if session_key else None
    _publish([(user_group(user_id), {"type": "session.ended", "session": tag})])


def referrals_changed(user_ids, referral_id: int) -> None:
    """Tell these people's open pages that a referral of theirs changed (their list refreshes)."""
    pushes = [
        (user_group(user_id), {"type": "referrals.changed", "referral": referral_id})
        for user_id in sorted(set(user_ids))
    ]
    if pushes:
        _publish(pushes)


def actions_changed(user_ids) -> None:
    """Tell these people's open pages that their health-plan actions changed."""
    pushes = [
        (user_group(user_id), {"type": "actions.changed"}) for user_id in sorted(set(user_ids))
    ]
    if pushes:
        _publish(pushes)


def measurement_alerts_changed(user_ids) -> None:
    """Tell these people's open pages that their practice's home-measurement alerts changed."""
    pushes = [
        (user_group(user_id), {"type": "measurement_alerts.changed"})
        for user_id in sorted(set(user_ids))
    ]
    if pushes:
        _publish(pushes)


def his_changed(user_ids) -> None:
    """Tell these people's open pages that an export to their practice's HIS failed."""
    pushes = [(user_group(user_id), {"type": "his.changed"}) for user_id in sorted(set(user_ids))]
    if pushes:
        _publish(pushes)
