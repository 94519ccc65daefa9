from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _
from django.utils.translation import override

from network.access_log import access_log_verify
from network.services.extractions import extraction_fail, extraction_import

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def extraction_import_task(self, extraction_id: int) -> str:
    """Import one stored extraction. Safe to retry: the import is an idempotent upsert."""
    with override("nl"):
        try:
            return extraction_import(extraction_id=extraction_id).status
        except OperationalError:
            if self.request.retries >= self.max_retries:
                extraction_fail(
                    extraction_id=extraction_id,
                    message=_("The import stopped because the database could not be reached."),
                )
            raise


@shared_task
def access_log_verify_task() -> bool:
    """Nightly check of the access log's hash chain; a broken chain is an ERROR in the logs."""
    report = access_log_verify()
    if not report.ok:
        logger.error("access log chain broken at entry #%s: %s", report.broken_id, report.problem)
    return report.ok
