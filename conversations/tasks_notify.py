from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from conversations.services.notifications import message_notify


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def notify_new_message_task(self, message_id: int) -> list[int]:
    """E-mail people who are away about a new message (idempotent: throttled per person)."""
    return message_notify(message_id=message_id)
