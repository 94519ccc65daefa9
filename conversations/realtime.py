"""Group names and publish helpers for live updates. No business rules here.

Publishing happens after commit. A channel layer that is away (Redis down) must never undo or
block a send: the message is stored; clients catch up when they reconnect.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

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
    await asyncio.wait_for(
        asyncio.gather(*(layer.group_send(group, event) for group, event in pairs)),
        timeout=SEND_TIMEOUT_SECONDS,
    )


def _publish(pairs: list[tuple[str, dict]]) -> None:
    try:
        async_to_sync(_send_all)(pairs)
    except Exception:
        # Live delivery is best effort; the database has the data.
        logger.warning("live update to %s not delivered", [g for g, _e in pairs], exc_info=True)


def render_message(message) -> str:
    """The one fragment for a message: page, htmx response and websocket push all use it."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "conversations/partials/message.html", {"message": message, "live": True}
        )


def message_payload(message) -> dict:
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "author": message.author_id,
        "html": render_message(message),
    }


def message_created(message_id: int) -> None:
    from conversations.selectors import message_for_push, recipient_user_ids

    message = message_for_push(message_id)
    if message is None:
        return
    changed = {"type": "inbox.changed", "conversation": message.conversation_id}
    pushes = [
        (
            conversation_group(message.conversation_id),
            {"type": "message.created", **message_payload(message)},
        )
    ]
    pushes += [
        (user_group(user_id), changed)
        for user_id in recipient_user_ids(conversation_id=message.conversation_id)
    ]
    _publish(pushes)
    from conversations.tasks_notify import notify_new_message_task

    try:
        notify_new_message_task.delay(message_id)
    except Exception:
        logger.warning("notification for message %s not queued", message_id, exc_info=True)


def read_changed(user_id: int, conversation_id: int) -> None:
    _publish(
        [
            (conversation_group(conversation_id), {"type": "read.changed", "user": user_id}),
            (user_group(user_id), {"type": "inbox.changed", "conversation": conversation_id}),
        ]
    )


def conversation_changed(conversation_id: int) -> None:
    _publish([(conversation_group(conversation_id), {"type": "conversation.changed"})])


def access_changed(user_id: int) -> None:
    """Tell the user's open websockets to re-check what they are subscribed to."""
    _publish([(user_group(user_id), {"type": "access.changed"})])
