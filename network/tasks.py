from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _
from django.utils.translation import override

from network.access_log import access_log_verify
from network.access_log_seals import AccessLogSealRefused, access_log_officer_mail, access_log_seal
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
    """Nightly check of the access log's hash chain against its last seal; what does not hold is
    an ERROR in the logs and an e-mail to the security officer."""
    report = access_log_verify()
    problems = list(report.seal_problems)
    if report.broken_id is not None:
        problems.insert(0, f"entry #{report.broken_id}: {report.problem}")
    for problem in problems:
        logger.error("access log does not hold: %s", problem)
    for warning in report.warnings:
        logger.warning("access log: %s", warning)
    if problems:
        with override("nl"):
            access_log_officer_mail(problems=tuple(problems))
    return report.ok


@shared_task(
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def access_log_seal_task(*, daily: bool = False) -> int | None:
    """Seal the access log's newest entry outside the database (beat: every few minutes, and
    ``daily`` with a copy to the security officer). Safe to retry: an unchanged head is not
    sealed twice a day, and one more seal of the same head is harmless."""
    try:
        result = access_log_seal(force=daily)
    except AccessLogSealRefused as refused:
        # Not transient: the log does not hold against its last seal. No retry; the last seal
        # stays the reference that verify_access_log reports against.
        logger.error("access log not sealed: %s", refused)
        if daily:
            with override("nl"):
                access_log_officer_mail(problems=(str(refused),))
        return None
    if daily:
        with override("nl"):
            access_log_officer_mail(seal=result.seal)
    return result.seal.head_id
