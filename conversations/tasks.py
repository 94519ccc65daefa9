from __future__ import annotations

from celery import shared_task

from conversations.services.his import HisDeliveryRetryable, his_export_deliver, his_export_fail
from regiozorg.fhir_delivery import run_delivery_task

HIS_MAX_RETRIES = 6
# Seconds: retries wait up to 30 s, 1, 2, 4, 8 and 10 minutes (jittered), so a HIS that is
# away for a restart or a short maintenance window still gets the note; 1 s would give up in
# about a minute.
HIS_RETRY_BACKOFF = 30


@shared_task(
    bind=True,
    autoretry_for=(HisDeliveryRetryable,),
    retry_backoff=HIS_RETRY_BACKOFF,
    retry_backoff_max=600,
    max_retries=HIS_MAX_RETRIES,
    acks_late=True,
)
def his_export_deliver_task(self, export_id: int) -> str:
    """Deliver one HIS export; 5xx and network errors retry with backoff, and when the retries
    are used up the export is marked failed with the last reason. Safe to repeat: only a pending
    export is posted, always with the same idempotency key."""
    return run_delivery_task(
        self,
        lambda pk: his_export_deliver(export_id=pk),
        lambda pk, reason: his_export_fail(export_id=pk, reason=reason),
        export_id,
    )


# Registered here so that a worker's autodiscovery finds it.
from conversations.tasks_notify import notify_new_message_task  # noqa: E402, F401
