from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from questionnaires.link_services import patient_link_sweep


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def patient_link_reminders_task() -> dict:
    """Hourly (beat): reminders before the due date, once per link; expired links ended.
    Safe to run twice: each reminder is claimed before it is sent."""
    return patient_link_sweep()
