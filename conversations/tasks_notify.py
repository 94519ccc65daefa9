"""E-mail about new messages, decided once per conversation rather than once per message.

The first new message in a conversation schedules one check, ``NOTIFY_DELAY_SECONDS`` later;
messages that follow while it is pending ride along (a cache key, Redis in production, shared by
every process). The check then mails, per the rules of ``services.notifications``, whoever has
still not read the newest message. A busy conversation costs one task a window, not one task
per message, and someone who reads within the delay gets no mail at all.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

from conversations.services.notifications import conversation_notify, message_notify


def _pending_key(conversation_id: int) -> str:
    return f"notify:pending:{conversation_id}"


def notify_soon(conversation_id: int) -> None:
    """Schedule the check for this conversation unless one is already pending."""
    delay = settings.NOTIFY_DELAY_SECONDS
    # The key outlives the countdown a little: a check that starts late still finds it.
    if cache.add(_pending_key(conversation_id), 1, timeout=delay + 60):
        notify_conversation_task.apply_async(args=[conversation_id], countdown=delay)


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
