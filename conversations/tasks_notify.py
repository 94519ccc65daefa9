"""E-mail about new messages, decided once per conversation rather than once per message.

The first new message in a conversation schedules one check, ``NOTIFY_DELAY_SECONDS`` later;
messages that follow while it is pending ride along (a cache key, Redis in production, shared by
every process). The check then mails, per the rules of ``services.notifications``, whoever has
still not read the newest message. A busy conversation costs one task a window, not one task
per message, and someone who reads within the delay gets no mail at all.
"""

from __future__ import annotations

import random
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

from conversations.services.notifications import conversation_notify, message_notify


def _pending_key(conversation_id: int) -> str:
    return f"notify:pending:{conversation_id}"


# Conversations with a check pending, and until when (this process's clock) it surely is.
_pending_here: dict[int, float] = {}
PENDING_MARGIN_SECONDS = 5.0
clock = time.monotonic
wall_clock = time.time  # the moment a check runs, as every host reads it


def notify_soon(conversation_id: int) -> None:
    """Schedule the check for this conversation unless one is already pending.

    The check runs between ``NOTIFY_DELAY_SECONDS`` and half as long again after the first
    message: conversations that got busy in the same second (a morning's first round) are not
    all checked in the same second, a burst that would take every core from the live sockets.

    The pending key holds when the check runs. A check never runs before that moment, so until
    then (less a margin for the clocks of other hosts) this process knows the messages it
    stores ride along, without asking Redis again: each send asked it before, a tenth of a busy
    Daphne's time. After that moment it asks, and the check that ran has removed the key.
    """
    now = clock()
    if _pending_here.get(conversation_id, 0.0) > now:
        return
    delay = settings.NOTIFY_DELAY_SECONDS
    countdown = delay + random.uniform(0, delay / 2)
    key = _pending_key(conversation_id)
    runs_at = wall_clock() + countdown
    # The key outlives the countdown a little: a check that starts late still finds it.
    if cache.add(key, runs_at, timeout=int(countdown) + 60):
        notify_conversation_task.apply_async(args=[conversation_id], countdown=countdown)
        if notify_conversation_task.app.conf.task_always_eager:
            return  # it ran just now (the embedded set-up): the next message schedules again
    else:
        runs_at = cache.get(key)
        if not isinstance(runs_at, float):
            return  # gone meanwhile, or a key from before this rule: ask again next time
    if len(_pending_here) > 10_000:
        _pending_here.clear()
    _pending_here[conversation_id] = now + (runs_at - wall_clock()) - PENDING_MARGIN_SECONDS


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_conversation_task(self, conversation_id: int) -> list[int]:
    """Mail who is away and has not read the conversation's newest message (idempotent:
    throttled per person). The key goes first, so a message stored from here on schedules a
    check of its own instead of being missed."""
    cache.delete(_pending_key(conversation_id))
    return conversation_notify(conversation_id=conversation_id)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_new_message_task(self, message_id: int) -> list[int]:
    """The per-message task of before: kept so that tasks queued before a deploy still run."""
    return message_notify(message_id=message_id)
