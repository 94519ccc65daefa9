from __future__ import annotations

from celery import shared_task

from his.delivery import DELIVERY_TASK_OPTIONS, run_delivery_task
from his.services import his_export_deliver, his_export_fail

HIS_MAX_RETRIES = DELIVERY_TASK_OPTIONS["max_retries"]


# The task keeps the name it had in the conversations app: exports queued before a deploy are
# still delivered by the workers after it.
@shared_task(name="conversations.tasks.his_export_deliver_task", **DELIVERY_TASK_OPTIONS)
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
