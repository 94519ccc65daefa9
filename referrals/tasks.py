from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from referrals.notifications import referral_event_notify


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def referral_notify_task(self, event_id: int) -> list[int]:
    """E-mail the other side about a referral event (idempotent: the event is claimed once)."""
    return referral_event_notify(event_id=event_id)
