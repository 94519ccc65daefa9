from __future__ import annotations

import smtplib

import requests
from celery import shared_task
from django.core.cache import cache
from django.core.management import call_command

from accounts.email import email_deserialize
from accounts.services.push import PushTemporaryError, push_deliver, push_deliveries_prune

SENT_KEY = "email-sent:{}"
SENT_TTL = 7 * 24 * 3600


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_email_task(self, payload: dict) -> bool:
    """Send one e-mail; a retry of an already-sent message is a no-op (keyed on Message-ID)."""
    key = SENT_KEY.format(payload["headers"]["Message-ID"])
    if cache.get(key):
        return False
    email_deserialize(payload).send()
    cache.set(key, True, SENT_TTL)
    return True


@shared_task
def clear_expired_sessions_task() -> None:
    """Expired sessions hold nothing useful; drop them hourly (beat)."""
    call_command("clearsessions")


@shared_task(
    bind=True,
    autoretry_for=(PushTemporaryError, requests.RequestException),
    retry_backoff=30,
    retry_backoff_max=900,
    max_retries=6,
)
def push_deliver_task(self, delivery_id: int, url: str = "/") -> str:
    """Send one Web Push notification to one device (idempotent: a delivery is sent once)."""
    return push_deliver(delivery_id=delivery_id, url=url)


@shared_task
def push_deliveries_prune_task() -> int:
    """Old push delivery records are no longer needed for idempotency; drop them daily (beat)."""
    return push_deliveries_prune()
