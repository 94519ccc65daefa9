"""E-mail (and Web Push) about new messages, for people who are not looking.

Never the message text or the patient's name: only that there is a new message, with a link.
At most one mail per conversation per ``NOTIFY_INTERVAL_MINUTES`` per person; none to someone
online, or on their day off or during absence unless they chose so in their profile.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.email import email_send
from accounts.models import Membership
from accounts.presence import mail_worthy
from accounts.services.push import push_enabled, push_send
from conversations.access import conversations_visible_to
from conversations.models import Message, ReadState
from conversations.selectors import recipient_user_ids
from core.site import site_url
from network.access import Actor


def _may_open(person, conversation) -> bool:
    """Only mail a link someone can follow: under any of their memberships, the rule says yes."""
    for membership in (
        Membership.objects.active().filter(user=person).select_related("organisation")
    ):
        actor = Actor(user=person, membership=membership)
        if conversations_visible_to(actor).filter(pk=conversation.pk).exists():
            return True
    return False


def message_notify(*, message_id: int) -> list[int]:
    """Queue the e-mails for one new message; returns who gets one. Safe to run twice."""
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        return []
    conversation = message.conversation
    wanted = "notify_consultations" if conversation.is_consultation else "notify_messages"
    ids = recipient_user_ids(conversation_id=conversation.pk) - {message.author_id}
    now = timezone.now()
    quiet_since = now - datetime.timedelta(minutes=settings.NOTIFY_INTERVAL_MINUTES)
    notified = []
    for person in mail_worthy(ids, preference=wanted):
        if not _may_open(person, conversation):
            continue
        state, _created = ReadState.objects.get_or_create(conversation=conversation, user=person)
        if state.last_read_message_id >= message.pk:
            continue
        # The conditional update is the throttle and makes a retried task send nothing twice.
        claimed = (
            ReadState.objects.filter(pk=state.pk)
            .filter(Q(notified_at__isnull=True) | Q(notified_at__lt=quiet_since))
            .update(notified_at=now)
        )
        if not claimed:
            continue
        email_send(
            to=[person.email],
            template="conversations/email/new_message",
            context={
                "user": person,
                "is_consultation": conversation.is_consultation,
                "url": site_url() + reverse("conversations:detail", args=[conversation.pk]),
            },
            language=person.language,
        )
        notified.append(person.pk)
    # The same people get a push on the devices where they switched it on: it says only "new
    # consultation" (its first message) or "new message" and links to the list, never to the
    # conversation or its patient.
    if notified and push_enabled():
        first = not Message.objects.filter(conversation=conversation, pk__lt=message.pk).exists()
        kind = "consultation" if conversation.is_consultation and first else "message"
        push_send(
            user_ids=notified,
            event_key=f"{kind}:{message.pk}",
            url=reverse(
                "conversations:consultations"
                if conversation.is_consultation
                else "conversations:inbox"
            ),
        )
    return notified


def conversation_notify(*, conversation_id: int) -> list[int]:
    """The mails for a conversation's newest message: who has not read up to it is mailed, per
    the rules above (``conversations.tasks_notify`` runs this once per burst of messages)."""
    newest = (
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return message_notify(message_id=newest) if newest else []
