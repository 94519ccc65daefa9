from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from core.sms import SmsError, sms_backend

SENT_KEY = "sms-sent:{}"
SENT_TTL = 7 * 24 * 3600


@shared_task(
    bind=True,
    autoretry_for=(SmsError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_sms_task(self, payload: dict) -> bool:
    """Send one text message; a retry of one already sent is a no-op (keyed on its id)."""
    key = SENT_KEY.format(payload["id"])
    if cache.get(key):
        return False
    sms_backend().send(to=payload["to"], body=payload["body"])
    cache.set(key, True, SENT_TTL)
    return True
