"""Home measurements for the practice's HIS: a FHIR R4 transaction Bundle of Observations.

Each reading is one Observation (category *vital-signs*, status *final*), coded with LOINC and,
where it has one, NHG table 45, with a UCUM ``valueQuantity``. A blood pressure is one
Observation (LOINC 85354-9, the panel) with two components, systolic 8480-6 and diastolic
8462-4 — exactly what ``network.fhir_mapping`` reads back into one measurement with ``value``
and ``value2``, so export and import agree.

Idempotent: every Observation is a conditional create on the reading's ``client_key`` (a UUID
in this installation's naming system), so sending the same readings twice adds nothing at the
receiver. The patient, the practice and the professional who measured are conditional creates
on their national identifiers, as in ``his.fhir``. The Bundle is validated with
``fhir.resources`` before it leaves.
"""

from __future__ import annotations

import datetime
import uuid

from django.http import Http404
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from his.fhir import (
    conditional_create,
    organization_match,
    organization_resource,
    own_identifier,
    patient_resource,
    practitioner_match,
    practitioner_resource,
)
from his.models import HisExport
from his.selectors import his_exports_of
from his.services import his_export_store, his_note_file
from network.fhir_mapping import LOINC_DIASTOLIC, LOINC_SYSTOLIC, NHG_TABLE_45_SYSTEM
from network.models import DataCategory
from questionnaires.models import KINDS, HomeMeasurement, MeasurementKind

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
EXPORT_LIMIT = 5000  # readings in one Bundle (a year of four a day, and more)


def _codeable(loinc: str, display: str, nhg: str = "") -> dict:
    codings = [{"system": LOINC_SYSTEM, "code": loinc, "display": display}]
    if nhg:
        codings.append({"system": NHG_TABLE_45_SYSTEM, "code": nhg})
    return {"coding": codings, "text": display}


def _quantity(value, spec) -> dict:
    number = float(value) if spec.decimals else int(value)
    return {"value": number, "unit": spec.unit, "system": UCUM_SYSTEM, "code": spec.ucum}


def observation_resource(m: HomeMeasurement, *, patient_ref: str, performer: list[dict]) -> dict:
    """One reading as an Observation (a blood pressure: one with two components)."""
    spec = KINDS[m.kind]
    label = str(MeasurementKind(m.kind).label)
    resource = {
        "resourceType": "Observation",
        "identifier": [own_identifier(m.client_key)],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "subject": {"reference": patient_ref},
        "effectiveDateTime": timezone.localtime(m.measured_at).isoformat(),
        "performer": performer,
    }
    if m.kind == MeasurementKind.BLOOD_PRESSURE:
        resource["code"] = _codeable(spec.loinc_panel, "Blood pressure panel")
        resource["component"] = [
            {
                "code": _codeable(LOINC_SYSTOLIC, "Systolic blood pressure", spec.nhg),
                "valueQuantity": _quantity(m.value, spec),
            },
            {
                "code": _codeable(LOINC_DIASTOLIC, "Diastolic blood pressure", spec.nhg2),
                "valueQuantity": _quantity(m.value2, spec),
            },
        ]
    else:
        resource["code"] = _codeable(spec.loinc, label, spec.nhg)
        resource["valueQuantity"] = _quantity(m.value, spec)
    return resource


def measurements_bundle(*, patient, readings=None) -> dict:
    """A transaction Bundle of the patient's readings (newest first, at most
    ``EXPORT_LIMIT``), validated. Three queries, however many readings and professionals."""
    if readings is None:
        readings = list(
            HomeMeasurement.objects.filter(patient_id=patient.pk)
            .select_related("entered_by", "organisation")
            .order_by("-measured_at", "-pk")[:EXPORT_LIMIT]
        )
    patient_url = f"urn:uuid:{patient.uuid}"
    entries = [
        conditional_create(
            patient_resource(patient, his_number=True),
            patient_url,
            match=own_identifier(patient.uuid),
        )
    ]
    parties: dict[str, str] = {}

    def party(kind: str, obj, build, match) -> str:
        key = f"{kind}:{obj.pk}"
        if key not in parties:
            url = f"urn:uuid:{obj.uuid}"
            parties[key] = url
            entries.append(conditional_create(build(obj), url, match=match(obj)))
        return parties[key]

    for m in readings:
        performer = [
            {
                "reference": party(
                    "Practitioner", m.entered_by, practitioner_resource, practitioner_match
                )
            },
            {
                "reference": party(
                    "Organization", m.organisation, organization_resource, organization_match
                )
            },
        ]
        entries.append(
            conditional_create(
                observation_resource(m, patient_ref=patient_url, performer=performer),
                f"urn:uuid:{m.client_key}",
                match=own_identifier(m.client_key),
            )
        )
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    Bundle.model_validate(bundle)
    return bundle


# --- To the practice's HIS through ``his.services`` ---------------------------------------

HIS_PERIOD_DAYS = 90  # an export holds the readings of the last 90 days


def measurements_note_build(readings: list[HomeMeasurement], *, days: int) -> str:
    """The SOEP note for the journal: per kind the number of readings, the range and the latest
    (always Dutch: it goes into a Dutch journal)."""
    lines = [f"Thuismetingen, laatste {days} dagen (Regiozorg):"]
    by_kind: dict[str, list[HomeMeasurement]] = {}
    for m in readings:
        by_kind.setdefault(m.kind, []).append(m)
    for kind in MeasurementKind.values:
        rows = by_kind.get(kind)
        if not rows:
            continue
        newest = rows[0]
        low, high = min(rows, key=lambda m: m.value), max(rows, key=lambda m: m.value)
        when = timezone.localtime(newest.measured_at).strftime("%d-%m-%Y %H:%M")
        lines.append(
            f"O: {NOTE_LABEL[kind]}: {len(rows)}x, {low.display_value} – {high.display_value}; "
            f"laatste {newest.display_value} ({when})"
        )
    return "\n".join(lines)


NOTE_LABEL = {
    MeasurementKind.BLOOD_PRESSURE: "RR",
    MeasurementKind.HEART_RATE: "pols",
    MeasurementKind.WEIGHT: "gewicht",
    MeasurementKind.GLUCOSE: "glucose",
    MeasurementKind.SPO2: "saturatie",
    MeasurementKind.TEMPERATURE: "temperatuur",
    MeasurementKind.PAIN: "pijnscore",
}


def measurements_his_export_create(*, actor, access) -> HisExport | None:
    """Store an export of the last ``HIS_PERIOD_DAYS`` days of readings (a note and the Bundle)
    and queue its delivery (``his.services``); None without readings. The caller checked that
    the actor is the patient's own practice. The newest reading is the export's source, so
    exporting again without a new reading gives the same export back (unless it failed)."""
    since = timezone.now() - datetime.timedelta(days=HIS_PERIOD_DAYS)
    readings = list(
        HomeMeasurement.objects.filter(patient_id=access.patient.pk, measured_at__gte=since)
        .select_related("entered_by", "organisation")
        .order_by("-measured_at", "-pk")[:EXPORT_LIMIT]
    )
    if not readings:
        return None
    newest = readings[0]
    latest = his_exports_of(model=HomeMeasurement, ids=[newest.pk]).order_by("-pk").first()
    if latest is not None and latest.status != HisExport.Status.FAILED:
        return latest
    return his_export_store(
        actor=actor,
        source=newest,
        patient=access.patient,
        key=uuid.uuid4(),
        note=measurements_note_build(readings, days=HIS_PERIOD_DAYS),
        resource=measurements_bundle(patient=access.patient, readings=readings),
        icpc_code="",
        data=DataCategory.MEASUREMENTS,
    )


def measurements_his_exports_for(*, patient) -> list[HisExport]:
    """The patient's last five exports of measurements (one query)."""
    ids = HomeMeasurement.objects.filter(patient_id=patient.pk).values("pk")
    return list(his_exports_of(model=HomeMeasurement, ids=ids).order_by("-created_at", "-pk")[:5])


def measurements_his_note_get(*, actor, access, pk) -> tuple[str, str]:
    """(file name, text) of one of the patient's exports: the note, logged as an export."""
    ids = HomeMeasurement.objects.filter(patient_id=access.patient.pk).values("pk")
    try:
        export = his_exports_of(model=HomeMeasurement, ids=ids).get(pk=pk)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return his_note_file(
        actor=actor,
        patient=access.patient,
        export=export,
        data=DataCategory.MEASUREMENTS,
        name="thuismetingen",
    )
