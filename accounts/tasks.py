from __future__ import annotations

import smtplib

from celery import shared_task
from django.core.cache import cache
from django.core.management import call_command

from accounts.email import email_deserialize

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
