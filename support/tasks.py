from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import OperationalError

from support import services


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def ticket_answer_mail_task(ticket_id: int) -> bool:
    return services.ticket_answer_mail(ticket_id=ticket_id)


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def release_note_mail_task(note_id: int) -> int:
    return services.release_note_mail_followers(note_id=note_id)
