from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from his.delivery import DELIVERY_TASK_OPTIONS, run_delivery_task
from referrals.delivery import referral_deliver, referral_delivery_fail
from referrals.notifications import referral_event_notify


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def referral_notify_task(self, event_id: int) -> list[int]:
    """E-mail the other side about a referral event (idempotent: the event is claimed once)."""
    return referral_event_notify(event_id=event_id)


@shared_task(**DELIVERY_TASK_OPTIONS)
def referral_deliver_task(self, delivery_id: int) -> str:
    """Deliver a referral to the receiver's system; retried like a HIS export (30 s up to 10
    minutes between tries), then marked failed with the last reason."""
    return run_delivery_task(
        self,
        lambda pk: referral_deliver(delivery_id=pk),
        lambda pk, reason: referral_delivery_fail(delivery_id=pk, reason=reason),
        delivery_id,
    )
