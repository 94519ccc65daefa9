"""Uploading and importing a practice's HIS extraction (FHIR R4 Bundle).

Upload (in the request): size and shape are checked, the file is stored, and the import is
started after commit: as a Celery task, or — in the embedded mode, where Celery runs eagerly in
the request — in a thread of its own, so the request returns and the uploader sees the bar move.
Nothing about the patients is written yet, so a bad file changes nothing.

Import: every resource is validated first (phase "checking", progress committed every few
hundred resources); then patients are upserted in batches (``extraction_batches``), each patient
with all its episodes, medication, contra-indications and measurements or nothing of it.
Running the same file again changes nothing (every row is compared before it is written), so a
retried or repeated task is harmless. Progress, counts and the refused resources are committed
per batch, so even an import that stops keeps what it did and says so.
"""

from __future__ import annotations

import hashlib
import logging
import threading

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from network.access import Actor, can_upload_extraction
from network.access_log import access_log_write
from network.fhir import (
    KIND_TYPES,
    BundleError,
    ResourceError,
    bundle_load,
    bundle_parse,
    bundle_patient_count,
    bundle_resource_count,
    bundle_source_agb,
)
from network.models import AccessAction, AccessRelationship, Extraction, ExtractionError
from network.services.extraction_batches import BatchResult, batch_write, empty_counts

logger = logging.getLogger(__name__)

BATCH_SIZE = 250
ERRORS_PER_INSERT = 1000
# The resource type of a refused resource -> the row of the result table it counts in.
KIND_OF_TYPE = {"Patient": "patients", **{t: k for k, t in KIND_TYPES.items()}}


class ExtractionRejected(Exception):
    """The upload is refused as a whole, with a Dutch message for the form."""


def extraction_upload(*, actor: Actor, file_name: str, content: bytes) -> Extraction:
    """Check and store an uploaded extraction; the import starts after commit."""
    if not can_upload_extraction(actor):
        raise PermissionDenied
    if len(content) > settings.EXTRACTION_MAX_BYTES:
        raise ExtractionRejected(_("The file is too large."))
    try:
        bundle = bundle_load(content)
    except BundleError as exc:
        raise ExtractionRejected(str(exc)) from None
    practice = actor.membership.organisation
    source_agb = bundle_source_agb(bundle)
    if source_agb and practice.agb_code and source_agb != practice.agb_code:
        raise ExtractionRejected(
            _("This extraction comes from another practice (AGB code %(agb)s).")
            % {"agb": source_agb}
        )
    with transaction.atomic():
        extraction = Extraction.objects.create(
            practice=practice,
            uploaded_by=actor.user,
            file_name=file_name[:255],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            total=bundle_patient_count(bundle),
            resources_total=bundle_resource_count(bundle),
        )
        access_log_write(
            actor=actor,
            action=AccessAction.CREATE,
            relationship=AccessRelationship.OWN_PRACTICE,
            object_ref=f"extraction:{extraction.pk}",
        )
        transaction.on_commit(lambda: extraction_import_start(extraction.pk))
    return extraction


def extraction_import_start(extraction_id: int) -> None:
    """Queue the import; in the embedded mode run it in a thread, outside the request."""
    from network.tasks import extraction_import_task

    if settings.EXTRACTION_IMPORT_IN_THREAD:
        thread = threading.Thread(
            target=_import_in_thread,
            args=[extraction_id],
            name=f"extraction-import-{extraction_id}",
            daemon=True,
        )
        thread.start()
    else:
        extraction_import_task.delay(extraction_id)


def _import_in_thread(extraction_id: int) -> None:
    from network.tasks import extraction_import_task

    try:
        extraction_import_task.apply(args=[extraction_id])
    except Exception:
        logger.exception("extraction %s: the import thread failed", extraction_id)
    finally:
        connections.close_all()


def extractions_resume() -> int:
    """Finish the imports an embedded server left unfinished when it stopped (its thread went
    with it); the import is idempotent, so what was written already stays as it is. Returns
    how many were resumed. In production Celery redelivers an interrupted task instead."""
    unfinished = list(
        Extraction.objects.exclude(status__in=[Extraction.Status.DONE, Extraction.Status.FAILED])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for extraction_id in unfinished:
        extraction_import(extraction_id=extraction_id)
    return len(unfinished)


def _task_actor(extraction: Extraction) -> Actor:
    membership = (
        Membership.objects.filter(
            user_id=extraction.uploaded_by_id, organisation_id=extraction.practice_id
        )
        .select_related("organisation", "user")
        .first()
    )
    return Actor(
        user=extraction.uploaded_by,
        membership=membership,
        user_agent="Regiozorg extraction import",
        request_id=f"extraction-{extraction.pk}",
    )


def extraction_import(*, extraction_id: int) -> Extraction:
    """Import an extraction. Idempotent: a finished one is left alone; reruns write nothing.

    A rerun of an unfinished one (a retried task) starts its error list and counts afresh.
    """
    extraction = Extraction.objects.select_related("practice", "uploaded_by").get(pk=extraction_id)
    if extraction.is_finished:
        return extraction
    ExtractionError.objects.filter(extraction_id=extraction.pk).delete()
    Extraction.objects.filter(pk=extraction.pk).update(
        status=Extraction.Status.CHECKING,
        started_at=timezone.now(),
        processed=0,
        resources_checked=0,
        counts={},
        error_count=0,
        failure="",
    )
    refused: set[str] = set()
    try:
        bundle = bundle_load(bytes(extraction.content))
        Extraction.objects.filter(pk=extraction.pk).update(
            resources_total=bundle_resource_count(bundle)
        )

        def checked(number: int) -> None:  # committed at once: the page polls it
            Extraction.objects.filter(pk=extraction.pk).update(resources_checked=number)

        records, errors, ignored = bundle_parse(bundle, progress=checked)
        actor = _task_actor(extraction)
        counts = {**empty_counts(), "ignored_resources": ignored}
        with transaction.atomic():
            _errors_add(extraction, errors, refused, counts)
            Extraction.objects.filter(pk=extraction.pk).update(
                status=Extraction.Status.RUNNING, counts=counts
            )
        processed = 0
        for start in range(0, len(records), BATCH_SIZE):
            batch = records[start : start + BATCH_SIZE]
            with transaction.atomic():
                result = batch_write(extraction, actor, batch)
                processed += len(batch)
                _counts_add(counts, result)
                _errors_add(extraction, result.errors, refused, counts)
                Extraction.objects.filter(pk=extraction.pk).update(
                    processed=processed, counts=counts
                )
        Extraction.objects.filter(pk=extraction.pk).update(
            status=Extraction.Status.DONE, finished_at=timezone.now()
        )
    except BundleError as exc:
        _fail(extraction, str(exc))
    except OperationalError:
        raise  # the database is away: the task retries (and gives up with extraction_fail)
    except Exception:
        # Never leave the page polling for ever. Patients of finished batches are kept (each
        # batch is whole), and so are the counts and the errors so far.
        logger.exception("extraction %s failed", extraction.pk)
        _fail(
            extraction,
            _(
                "The import stopped because of an unexpected error. Patients imported so far "
                "are kept; upload the file again or call the helpdesk."
            ),
        )
    extraction.refresh_from_db()
    return extraction


def _counts_add(counts: dict, result: BatchResult) -> None:
    for kind, numbers in result.counts.items():
        for key, number in numbers.items():
            counts[kind][key] += number


def _errors_add(
    extraction: Extraction, errors: list[ResourceError], refused: set[str], counts: dict
) -> None:
    """Store refused resources (in the caller's transaction) and count them per kind."""
    if not errors:
        return
    ExtractionError.objects.bulk_create(
        [
            ExtractionError(
                extraction_id=extraction.pk,
                resource=e.ref[:140],
                field=e.field[:100],
                message=e.message,
            )
            for e in errors
        ],
        batch_size=ERRORS_PER_INSERT,
    )
    Extraction.objects.filter(pk=extraction.pk).update(error_count=F("error_count") + len(errors))
    for error in errors:
        kind = KIND_OF_TYPE.get(error.ref.split("/", 1)[0])
        if kind and error.ref not in refused:  # a resource may be named more than once
            refused.add(error.ref)
            counts[kind]["refused"] += 1


def extraction_fail(*, extraction_id: int, message: str) -> None:
    """Mark an import failed (the task gave up); the patients of finished batches stay."""
    extraction = Extraction.objects.get(pk=extraction_id)
    if not extraction.is_finished:
        _fail(extraction, message)


def _fail(extraction: Extraction, message: str) -> None:
    Extraction.objects.filter(pk=extraction.pk).update(
        status=Extraction.Status.FAILED, failure=message, finished_at=timezone.now()
    )
