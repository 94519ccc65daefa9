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
from network.fhir_mapping import LOINC_DIASTOLIC, LOINC_SYSTOLIC, NHG_TABLE_45_SYSTEM
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
