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
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
    Membership,
    Patient,
    PatientSource,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 250
MAX_ERRORS_KEPT = 500
CHILD_MODELS = {
    "episodes": (Episode, DataCategory.EPISODES),
    "medications": (Medication, DataCategory.MEDICATION),
    "contra_indications": (ContraIndication, DataCategory.CONTRA_INDICATIONS),
    "measurements": (Measurement, DataCategory.MEASUREMENTS),
}
PATIENT_FIELDS = (
    "bsn",
    "initials",
    "first_name",
    "infix",
    "surname",
    "gender",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "phone",
)


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
            kind: {"created": 0, "updated": 0, "unchanged": 0}
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
    errors: list[ResourceError] = []
    by_his = {
        p.his_id: p
        for p in Patient.objects.select_for_update().filter(
            practice=practice, his_id__in=[r.his_id for r in batch]
        )
    }
    # A patient typed in by hand before the practice's first extraction: match on BSN.
    bsns = [r.fields["bsn"] for r in batch if r.his_id not in by_his and r.fields["bsn"]]
    by_bsn = {
        p.bsn: p
        for p in Patient.objects.select_for_update().filter(practice=practice, bsn__in=bsns)
    }

    creates, updates, log_lines, kept = [], [], [], []
    for record in batch:
        fields = record.fields
        patient = by_his.get(record.his_id)
        if patient is None and fields["bsn"] in by_bsn:
            patient = by_bsn[fields["bsn"]]
            if patient.his_id:
                errors.append(
                    ResourceError(record.ref, _("Another patient of the practice has this BSN."))
                )
                continue
            patient.his_id = record.his_id
            patient.source = PatientSource.HIS
            updates.append(patient)
        elif patient is None:
            patient = Patient(
                practice=practice, his_id=record.his_id, source=PatientSource.HIS, **fields
            )
            creates.append(patient)
            kept.append((record, patient))
            continue
        if _differs(patient, fields) or patient in updates:
            for name, value in fields.items():
                setattr(patient, name, value)
            if patient not in updates:
                updates.append(patient)
        else:
            counts["patients"]["unchanged"] += 1
        kept.append((record, patient))

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

    for kind, (model, category) in CHILD_MODELS.items():
        existing = {
            (row.patient_id, row.his_id): row
            for row in model.objects.filter(patient_id__in=[p.pk for _r, p in kept])
        }
        new_rows, changed_rows, names = [], [], None
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
        model.objects.bulk_create(new_rows, batch_size=1000)
        if changed_rows:
            model.objects.bulk_update(changed_rows, names, batch_size=1000)
        counts[kind]["created"] += len(new_rows)
        counts[kind]["updated"] += len(changed_rows)

    for patient_id, categories in changed_data.items():
        log_lines.append(
            LogLine(
                action=AccessAction.CREATE if patient_id in created_ids else AccessAction.UPDATE,
                relationship=AccessRelationship.OWN_PRACTICE,
                patient_id=patient_id,
                data=sorted(categories),
                object_ref=f"extraction:{extraction.pk}",
            )
        )
    if log_lines:
        access_log_write_many(actor=actor, lines=log_lines)
    return errors
