"""Group names and publish helpers for live updates. No business rules here.

Publishing happens after commit. A channel layer that is away (Redis down) must never undo or
block a send: the message is stored; clients catch up when they reconnect.
"""

from __future__ import annotations

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


def _send(group: str, event: dict) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:
        logger.warning("live update to %s not delivered", group, exc_info=True)


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
    _send(
        conversation_group(message.conversation_id),
        {"type": "message.created", **message_payload(message)},
    )
    for user_id in recipient_user_ids(conversation_id=message.conversation_id):
        _send(
            user_group(user_id), {"type": "inbox.changed", "conversation": message.conversation_id}
        )
    from conversations.tasks_notify import notify_new_message_task

    try:
        notify_new_message_task.delay(message_id)
    except Exception:
        logger.warning("notification for message %s not queued", message_id, exc_info=True)


def read_changed(user_id: int, conversation_id: int) -> None:
    _send(conversation_group(conversation_id), {"type": "read.changed", "user": user_id})
    _send(user_group(user_id), {"type": "inbox.changed", "conversation": conversation_id})


def conversation_changed(conversation_id: int) -> None:
    _send(conversation_group(conversation_id), {"type": "conversation.changed"})


def access_changed(user_id: int) -> None:
    """Tell the user's open websockets to re-check what they are subscribed to."""
    _send(user_group(user_id), {"type": "access.changed"})
