"""Writing one batch of an extraction's patients: matching, conflicts, and all-or-nothing per
patient.

Matching: by BSN first, then by HIS number within the practice; a patient typed in by hand (no
HIS number) is linked by BSN. Nothing is ever merged and a stored BSN is never cleared. What
cannot be matched safely is refused with a Dutch message, and that patient's children are
reported as skipped:

- the HIS number arrives with another BSN than the stored one;
- the BSN belongs to another patient of the practice than the HIS number;
- the HIS number belongs to another person (both name and date of birth differ; we do not keep
  resource ids of earlier files, so "another person" is what can be checked);
- no BSN, a new HIS number, and a patient typed in by hand with the same surname and date of
  birth (a duplicate in the making).

A batch is written in one savepoint, with bulk queries (a fixed number per batch). When the
database refuses something in it, the batch is written again patient by patient, each in its
own savepoint, so one bad patient costs only itself; the culprit resource is looked for and
named.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from network.access import Actor
from network.access_log import LogLine, access_log_write_many
from network.fhir import CHILD_KINDS, KIND_TYPES, PatientRecord, ResourceError
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

CHILD_MODELS = {
    "episodes": (Episode, DataCategory.EPISODES),
    "medications": (Medication, DataCategory.MEDICATION),
    "contra_indications": (ContraIndication, DataCategory.CONTRA_INDICATIONS),
    "measurements": (Measurement, DataCategory.MEASUREMENTS),
}
# What the database (or the driver, before it) may refuse in one patient's data. Not
# OperationalError: the database being away is retried as a whole.
STORE_ERRORS = (DataError, IntegrityError, ValueError, OverflowError, ArithmeticError)


def empty_counts() -> dict:
    return {
        kind: {"created": 0, "updated": 0, "unchanged": 0, "removed": 0, "refused": 0}
        for kind in ("patients", *CHILD_KINDS)
    }


@dataclass
class BatchResult:
    counts: dict = field(default_factory=empty_counts)
    errors: list[ResourceError] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        for kind, numbers in other.counts.items():
            for key, number in numbers.items():
                self.counts[kind][key] += number
        self.errors.extend(other.errors)

    def refuse(self, record: PatientRecord, message: str, field: str = "identifier") -> None:
        """Refuse a patient with ``message``; its children are skipped with it."""
        self.errors.append(ResourceError(record.ref, message, field))
        skipped = _("Skipped because its patient could not be imported.")
        self.errors.extend(ResourceError(ref, skipped) for ref in record.child_refs())


def batch_write(extraction: Extraction, actor: Actor, batch: list[PatientRecord]) -> BatchResult:
    """Write ``batch`` (inside the caller's transaction); patient by patient if it must."""
    try:
        with transaction.atomic():
            return _write(extraction, actor, batch)
    except STORE_ERRORS:
        logger.info("extraction %s: a batch was refused, writing it per patient", extraction.pk)
    result = BatchResult()
    for record in batch:
        try:
            with transaction.atomic():
                result.add(_write(extraction, actor, [record]))
        except STORE_ERRORS as exc:
            logger.warning("extraction %s: %s not stored: %s", extraction.pk, record.ref, exc)
            _refuse_unstorable(result, extraction, record, exc)
    return result


def _refuse_unstorable(
    result: BatchResult, extraction: Extraction, record: PatientRecord, exc: Exception
) -> None:
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    culprit = _culprit(extraction, record)
    message = _(
        "The database refused this data (%(detail)s). Nothing of this patient has been imported."
    ) % {"detail": detail}
    if culprit == record.ref:
        result.refuse(record, message, "")
        return
    result.errors.append(ResourceError(culprit, message))
    result.errors.append(
        ResourceError(
            record.ref,
            _("Not imported because %(ref)s could not be stored.") % {"ref": culprit},
        )
    )
    skipped = _("Skipped because its patient could not be imported.")
    result.errors.extend(ResourceError(r, skipped) for r in record.child_refs() if r != culprit)


class _Undo(Exception):
    pass


def _culprit(extraction: Extraction, record: PatientRecord) -> str:
    """Which resource of ``record`` the database refuses: each row is tried on its own, in a
    savepoint that is rolled back (only when a patient failed, so rarely)."""
    culprit = record.ref
    try:
        with transaction.atomic():
            fields = {**record.fields, "bsn": ""}  # a stand-in: no unique number to clash
            try:
                with transaction.atomic():
                    stand_in = Patient.objects.create(practice=extraction.practice, **fields)
            except STORE_ERRORS:
                raise _Undo from None
            for kind, (model, _category) in CHILD_MODELS.items():
                for his_id, child in record.children[kind]:
                    try:
                        with transaction.atomic():
                            model.objects.create(patient=stand_in, his_id=his_id, **child)
                    except STORE_ERRORS:
                        culprit = f"{KIND_TYPES[kind]}/{his_id}"
                        raise _Undo from None
            raise _Undo
    except _Undo:
        pass
    return culprit


def _differs(instance, fields: dict) -> bool:
    return any(getattr(instance, name) != value for name, value in fields.items())


def _same_person(patient: Patient, fields: dict) -> bool:
    return (
        patient.surname.casefold() == fields["surname"].casefold()
        or patient.birth_date == fields["birth_date"]
    )


def _conflict(
    record: PatientRecord, by_number: Patient | None, holder: Patient | None, typed: dict
) -> str:
    """Why ``record`` cannot be matched safely, or "" when it can."""
    fields, his = record.fields, record.his_id
    if holder is not None and by_number is not None and holder.pk != by_number.pk:
        return _(
            "This BSN belongs to another patient of the practice than HIS number %(his)s. "
            "Nothing of this patient has been imported."
        ) % {"his": his}
    if holder is not None and holder.his_id and holder.his_id != his:
        return _(
            "Another patient of the practice (HIS number %(other)s) has this BSN. Nothing of "
            "this patient has been imported."
        ) % {"other": holder.his_id}
    if by_number is not None and holder is None:
        if fields["bsn"] and by_number.bsn and by_number.bsn != fields["bsn"]:
            return _(
                "The patient with HIS number %(his)s is known with another BSN. Nothing of this "
                "patient has been imported; if the HIS corrected the BSN, correct it in "
                "Regiozorg too."
            ) % {"his": his}
        if not _same_person(by_number, fields):
            return _(
                "HIS number %(his)s belongs to another person in Regiozorg (another name and "
                "date of birth). Nothing of this patient has been imported."
            ) % {"his": his}
    person = (fields["surname"].casefold(), fields["birth_date"])
    if by_number is None and holder is None and not fields["bsn"] and person in typed:
        return _(
            "A patient added by hand has the same name and date of birth, and this patient "
            "has no BSN to link them by. Nothing has been imported; add the BSN in the HIS "
            "or in Regiozorg and upload again."
        )
    return ""


def _write(extraction: Extraction, actor: Actor, batch: list[PatientRecord]) -> BatchResult:
    practice = extraction.practice
    # One import per practice at a time: a double upload or a redelivered task waits here, then
    # finds what the other one wrote (and so changes nothing).
    list(Organisation.objects.select_for_update().filter(pk=practice.pk).values_list("pk"))
    result = BatchResult()
    counts = result.counts
    by_his = {
        p.his_id: p
        for p in Patient.objects.filter(practice=practice, his_id__in=[r.his_id for r in batch])
    }
    bsns = [r.fields["bsn"] for r in batch if r.fields["bsn"]]
    by_bsn = {p.bsn: p for p in Patient.objects.filter(practice=practice, bsn__in=bsns)}
    no_bsn = [r for r in batch if not r.fields["bsn"] and r.his_id not in by_his]
    typed = {}
    if no_bsn:
        for p in Patient.objects.filter(
            practice=practice, his_id="", birth_date__in={r.fields["birth_date"] for r in no_bsn}
        ):
            typed[(p.surname.casefold(), p.birth_date)] = p

    creates, updates, kept = [], [], []
    for record in batch:
        fields = dict(record.fields)
        by_number = by_his.get(record.his_id)
        holder = by_bsn.get(fields["bsn"]) if fields["bsn"] else None
        refusal = _conflict(record, by_number, holder, typed)
        if refusal:
            result.refuse(record, refusal)
            continue
        patient = holder or by_number
        if patient is None:
            patient = Patient(
                practice=practice, his_id=record.his_id, source=PatientSource.HIS, **fields
            )
            creates.append(patient)
        else:
            if not fields["bsn"]:
                del fields["bsn"]  # never clear a BSN the practice has
            linked = patient.his_id != record.his_id  # a patient typed in by hand
            if linked:
                patient.his_id, patient.source = record.his_id, PatientSource.HIS
            if linked or _differs(patient, fields):
                for name, value in fields.items():
                    setattr(patient, name, value)
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
    return result
