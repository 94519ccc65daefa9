"""Uploading and importing a practice's HIS extraction (FHIR R4 Bundle).

Upload (in the request): size and shape are checked, the file is stored, and the import task is
queued after commit. Nothing about the patients is written yet, so a bad file changes nothing.

Import (in a Celery task): every resource is validated; patients are upserted by their HIS
number in batches, each batch — a patient with all its episodes, medication, contra-indications
and measurements — in one transaction, so a patient is never half-imported. Running the same
file again changes nothing (every row is compared before it is written), so a retried or
repeated task is harmless. Progress is committed per batch for the page's progress bar.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Membership, Organisation
from network.access import Actor, can_upload_extraction
from network.access_log import LogLine, access_log_write, access_log_write_many
from network.fhir import (
    CHILD_KINDS,
    BundleError,
    PatientRecord,
    ResourceError,
    bundle_load,
    bundle_parse,
    bundle_patient_count,
    bundle_source_agb,
)
from network.models import (
    AccessAction,
    AccessRelationship,
    ContraIndication,
    DataCategory,
    Episode,
    Extraction,
    Measurement,
    Medication,
    Patient,
    PatientSource,
)
from network.services.patients import PATIENT_FIELDS

logger = logging.getLogger(__name__)

BATCH_SIZE = 250
MAX_ERRORS_KEPT = 500
CHILD_MODELS = {
    "episodes": (Episode, DataCategory.EPISODES),
    "medications": (Medication, DataCategory.MEDICATION),
    "contra_indications": (ContraIndication, DataCategory.CONTRA_INDICATIONS),
    "measurements": (Measurement, DataCategory.MEASUREMENTS),
}


# Said of a patient whose BSN another patient of the practice already has.
BSN_TAKEN = gettext_noop("Another patient of the practice has this BSN.")


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
        )
        access_log_write(
            actor=actor,
            action=AccessAction.CREATE,
            relationship=AccessRelationship.OWN_PRACTICE,
            object_ref=f"extraction:{extraction.pk}",
        )
        from network.tasks import extraction_import_task

        transaction.on_commit(lambda: extraction_import_task.delay(extraction.pk))
    return extraction


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
    """Import an extraction. Idempotent: a finished one is left alone; reruns write nothing."""
    extraction = Extraction.objects.select_related("practice", "uploaded_by").get(pk=extraction_id)
    if extraction.is_finished:
        return extraction
    Extraction.objects.filter(pk=extraction.pk).update(
        status=Extraction.Status.RUNNING, started_at=timezone.now(), processed=0
    )
    try:
        bundle = bundle_load(bytes(extraction.content))
        records, errors, ignored = bundle_parse(bundle)
        actor = _task_actor(extraction)
        counts = {
            kind: {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
            for kind in ("patients", *CHILD_KINDS)
        }
        processed = 0
        for start in range(0, len(records), BATCH_SIZE):
            batch = records[start : start + BATCH_SIZE]
            with transaction.atomic():
                batch_errors = _import_batch(extraction, actor, batch, counts)
                processed += len(batch)
                Extraction.objects.filter(pk=extraction.pk).update(processed=processed)
            errors.extend(batch_errors)
        counts["ignored_resources"] = ignored
        Extraction.objects.filter(pk=extraction.pk).update(
            status=Extraction.Status.DONE,
            processed=processed,
            counts=counts,
            errors=[e.as_dict() for e in errors[:MAX_ERRORS_KEPT]],
            finished_at=timezone.now(),
        )
    except BundleError as exc:
        _fail(extraction, str(exc))
    except OperationalError:
        raise  # the database is away: the task retries (and gives up with extraction_fail)
    except Exception:
        # Never leave the page polling for ever. Patients of finished batches are kept (each
        # batch is whole); the same file can be uploaded again.
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


def extraction_fail(*, extraction_id: int, message: str) -> None:
    """Mark an import failed (the task gave up); the patients of finished batches stay."""
    extraction = Extraction.objects.get(pk=extraction_id)
    if not extraction.is_finished:
        _fail(extraction, message)


def _fail(extraction: Extraction, message: str) -> None:
    Extraction.objects.filter(pk=extraction.pk).update(
        status=Extraction.Status.FAILED,
        errors=[{"resource": "Bundle", "message": message}],
        finished_at=timezone.now(),
    )


def _differs(instance, fields: dict) -> bool:
    return any(getattr(instance, name) != value for name, value in fields.items())


def _import_batch(
    extraction: Extraction, actor: Actor, batch: list[PatientRecord], counts: dict
) -> list[ResourceError]:
    practice = extraction.practice
    # One import per practice at a time: a double upload or a redelivered task waits here, then
    # finds what the other one wrote (and so changes nothing).
    list(Organisation.objects.select_for_update().filter(pk=practice.pk).values_list("pk"))
    errors: list[ResourceError] = []
    by_his = {
        p.his_id: p
        for p in Patient.objects.filter(practice=practice, his_id__in=[r.his_id for r in batch])
    }
    # A patient typed in by hand before the practice's first extraction: match on BSN.
    bsns = [r.fields["bsn"] for r in batch if r.his_id not in by_his and r.fields["bsn"]]
    by_bsn = {p.bsn: p for p in Patient.objects.filter(practice=practice, bsn__in=bsns)}

    creates, updates, kept = [], [], []
    ref_of: dict[int, str] = {}
    for record in batch:
        fields = record.fields
        patient = by_his.get(record.his_id)
        changed = False
        if patient is None and fields["bsn"] in by_bsn:
            patient = by_bsn[fields["bsn"]]
            if patient.his_id:
                errors.append(ResourceError(record.ref, _(BSN_TAKEN)))
                continue
            patient.his_id, patient.source, changed = record.his_id, PatientSource.HIS, True
        elif patient is None:
            patient = Patient(
                practice=practice, his_id=record.his_id, source=PatientSource.HIS, **fields
            )
            creates.append(patient)
        if patient not in creates:
            if changed or _differs(patient, fields):
                for name, value in fields.items():
                    setattr(patient, name, value)
                updates.append(patient)
            else:
                counts["patients"]["unchanged"] += 1
        ref_of[id(patient)] = record.ref
        kept.append((record, patient))

    # A new or corrected BSN that another patient of the practice already has: report, skip.
    wanted = {p.bsn: p for p in [*creates, *updates] if p.bsn}
    for bsn, holder_pk in Patient.objects.filter(
        practice=practice, bsn__in=list(wanted)
    ).values_list("bsn", "pk"):
        patient = wanted[bsn]
        if patient.pk != holder_pk:
            errors.append(ResourceError(ref_of[id(patient)], _(BSN_TAKEN)))
            creates = [p for p in creates if p is not patient]
            updates = [p for p in updates if p is not patient]
            kept = [(r, p) for r, p in kept if p is not patient]

    Patient.objects.bulk_create(creates, batch_size=500)
    now = timezone.now()
    for patient in updates:
        patient.updated_at = now
    Patient.objects.bulk_update(
        updates, [*PATIENT_FIELDS, "his_id", "source", "updated_at"], batch_size=500
    )
    counts["patients"]["created"] += len(creates)
    counts["patients"]["updated"] += len(updates)
    created_ids = {p.pk for p in creates}
    changed_data: dict[int, set[str]] = {
        p.pk: {DataCategory.IDENTITY} for p in [*creates, *updates]
    }
    removed_data: dict[int, set[str]] = {}

    patient_ids = [p.pk for _r, p in kept]
    for kind, (model, category) in CHILD_MODELS.items():
        existing = {
            (row.patient_id, row.his_id): row
            for row in model.objects.filter(patient_id__in=patient_ids)
        }
        new_rows, changed_rows, names, gone = [], [], None, []
        for record, patient in kept:
            for his_id, fields in record.children[kind]:
                names = names or list(fields)
                row = existing.get((patient.pk, his_id))
                if row is None:
                    new_rows.append(model(patient_id=patient.pk, his_id=his_id, **fields))
                elif _differs(row, fields):
                    for name, value in fields.items():
                        setattr(row, name, value)
                    changed_rows.append(row)
                else:
                    counts[kind]["unchanged"] += 1
                    continue
                changed_data.setdefault(patient.pk, set()).add(category)
            for his_id in record.retracted[kind]:
                row = existing.get((patient.pk, his_id))
                if row is not None:
                    gone.append(row.pk)
                    removed_data.setdefault(patient.pk, set()).add(category)
        model.objects.bulk_create(new_rows, batch_size=1000)
        if changed_rows:
            model.objects.bulk_update(changed_rows, names, batch_size=1000)
        if gone:
            model.objects.filter(pk__in=gone).delete()
        counts[kind]["created"] += len(new_rows)
        counts[kind]["updated"] += len(changed_rows)
        counts[kind]["removed"] += len(gone)

    log_lines = [
        LogLine(
            action=AccessAction.CREATE if patient_id in created_ids else AccessAction.UPDATE,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient_id=patient_id,
            data=sorted(categories),
            object_ref=f"extraction:{extraction.pk}",
        )
        for patient_id, categories in changed_data.items()
    ] + [
        LogLine(
            action=AccessAction.DELETE,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient_id=patient_id,
            data=sorted(categories),
            object_ref=f"extraction:{extraction.pk}",
        )
        for patient_id, categories in removed_data.items()
    ]
    if log_lines:
        access_log_write_many(actor=actor, lines=log_lines)
    return errors
