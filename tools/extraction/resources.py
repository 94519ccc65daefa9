"""The generator's records as FHIR R4 resources and bundle entries, with uuid5 identifiers.

Written the way Dutch GP systems and nl-core write a bundle: every entry has a ``urn:uuid``
fullUrl, and a child names its patient by that fullUrl (the Bundle rules: a reference resolves
to the entry whose fullUrl it equals), not by ``Patient/<id>``.
"""

from __future__ import annotations

import uuid

# Systems: the importer's own constants, so generator and importer cannot drift.
from network.fhir import (
    ATC_SYSTEM,
    BSN_SYSTEM,
    HIS_PATIENT_SYSTEM,
    ICPC1NL_SYSTEM,
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
)
from tools.extraction.records import Allergy, Episode, Med, Obs, Person
from tools.extraction.terminology import (
    ALLERGY_CLINICAL_SYSTEM,
    ALLERGY_VERIFICATION_SYSTEM,
    ASSEMBLY_ORDER_URL,
    CONDITION_CLINICAL_SYSTEM,
    DRUGS,
    EN_QUALIFIER_URL,
    INTOLERANCES,
    MEASUREMENTS,
    NL_CORE_BLOOD_PRESSURE,
    NL_CORE_PATIENT,
    NL_CORE_PROBLEM,
    OBSERVATION_CATEGORY_SYSTEM,
    UCUM_SYSTEM,
    icpc_episode,
)

_TZ = "+01:00"  # all times are written as CET, also in summer; good enough for demo data

# Where uuid5 identifiers are derived from.
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://regiozorg.nl/fhir/extraction-generator")


def uuid_for(*parts: object) -> str:
    return str(uuid.uuid5(_UUID_NAMESPACE, "|".join(str(p) for p in parts)))


def _patient_resource(person: Person, pid: str) -> dict:
    # nl-core name parts: the own prefix and own name beside the whole family name; first names
    # marked as such (BR), and the name is assembled from the own name only (NL1).
    family = f"{person.infix} {person.own_name}" if person.infix else person.own_name
    extension = [{"url": OWN_NAME_URL, "valueString": person.own_name}]
    if person.infix:
        extension.insert(0, {"url": OWN_PREFIX_URL, "valueString": person.infix})
    first_name = {"extension": [{"url": EN_QUALIFIER_URL, "valueCode": "BR"}]}
    resource = {
        "resourceType": "Patient",
        "id": pid,
        "meta": {"profile": [NL_CORE_PATIENT]},
        "identifier": [
            {"system": BSN_SYSTEM, "value": person.bsn},
            {"system": HIS_PATIENT_SYSTEM, "value": pid},
        ],
        "name": [
            {
                "extension": [{"url": ASSEMBLY_ORDER_URL, "valueCode": "NL1"}],
                "use": "official",
                "text": " ".join([*person.given, family]),
                "family": family,
                "_family": {"extension": extension},
                "given": list(person.given),
                "_given": [first_name for _ in person.given],
            }
        ],
        "telecom": [
            {"system": "phone", "value": value, "use": use} for value, use in person.phones
        ],
        "gender": person.gender,
        "birthDate": person.birth.isoformat(),
    }
    if person.deceased_flag:
        resource["deceasedBoolean"] = False
    resource["address"] = [
        {
            "use": "home",
            "line": [person.street],
            "postalCode": person.postal_code,
            "city": person.city,
            "country": "NL",
        }
    ]
    return resource


def _condition_resource(episode: Episode, rid: str, subject: dict) -> dict:
    code, title = icpc_episode(episode.code)
    status = "active" if episode.active else "resolved"
    resource = {
        "resourceType": "Condition",
        "id": rid,
        "meta": {"profile": [NL_CORE_PROBLEM]},
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL_SYSTEM, "code": status}]},
        "code": {
            "coding": [{"system": ICPC1NL_SYSTEM, "code": code, "display": title}],
            "text": title,
        },
        "subject": subject,
        "onsetDateTime": episode.onset.isoformat(),
    }
    if episode.abatement:
        resource["abatementDateTime"] = episode.abatement.isoformat()
    return resource


def _medication_resource(med: Med, rid: str, subject: dict) -> dict:
    drug = DRUGS[med.key]
    period = {"start": med.start.isoformat()}
    if med.end:
        period["end"] = med.end.isoformat()
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "completed" if med.end else "active",
        "medicationCodeableConcept": {
            "coding": [{"system": ATC_SYSTEM, "code": drug.atc, "display": drug.name}],
            "text": drug.text,
        },
        "subject": subject,
        "effectivePeriod": period,
        "dosage": [{"text": drug.dosage}],
    }


def _allergy_resource(allergy: Allergy, rid: str, subject: dict) -> dict:
    kind = INTOLERANCES[allergy.key]
    code: dict = {"text": kind.text}
    if kind.atc:
        code = {
            "coding": [{"system": ATC_SYSTEM, "code": kind.atc, "display": kind.atc_name}],
            "text": kind.text,
        }
    return {
        "resourceType": "AllergyIntolerance",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL_SYSTEM, "code": "active"}]},
        "verificationStatus": {
            "coding": [{"system": ALLERGY_VERIFICATION_SYSTEM, "code": "confirmed"}]
        },
        "type": kind.type,
        "category": ["medication"],
        "criticality": kind.criticality,
        "code": code,
        "patient": subject,
        "recordedDate": allergy.recorded.isoformat(),
    }


def _quantity(value, kind) -> dict:
    return {"value": value, "unit": kind.unit, "system": UCUM_SYSTEM, "code": kind.ucum}


def _concept(key: str) -> dict:
    kind = MEASUREMENTS[key]
    coding = [{"system": LOINC_SYSTEM, "code": kind.loinc}]
    if kind.nhg:
        coding.insert(0, {"system": NHG_TABLE_45_SYSTEM, "code": kind.nhg, "display": kind.name})
    return {"coding": coding, "text": kind.name}


def _observation_resource(obs: Obs, rid: str, subject: dict) -> dict:
    when = obs.when.strftime("%Y-%m-%dT%H:%M:00") + _TZ
    if obs.key != "bp":
        return {
            "resourceType": "Observation",
            "id": rid,
            "status": "final",
            "code": _concept(obs.key),
            "subject": subject,
            "effectiveDateTime": when,
            "valueQuantity": _quantity(obs.value, MEASUREMENTS[obs.key]),
        }
    # One blood pressure: the panel with both pressures as components (nl-core-BloodPressure,
    # whose vital-signs base asks for the category).
    systolic, diastolic = obs.value
    return {
        "resourceType": "Observation",
        "id": rid,
        "meta": {"profile": [NL_CORE_BLOOD_PRESSURE]},
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": "vital-signs"}]}],
        "code": _concept("bp"),
        "subject": subject,
        "effectiveDateTime": when,
        "component": [
            {"code": _concept(key), "valueQuantity": _quantity(value, MEASUREMENTS[key])}
            for key, value in (("sys", systolic), ("dia", diastolic))
        ],
    }


def bundle_entries(person: Person, pid: str, practice_agb: str) -> list[dict]:
    """The patient's entries, the Patient first. Children reference the patient by its
    ``urn:uuid`` fullUrl, so a reader resolves them by the Bundle rules."""
    patient = _patient_resource(person, pid)
    subject = {"reference": _full_url(practice_agb, patient)}
    resources = [patient]
    resources += [
        _condition_resource(e, f"{pid}-ep{k}", dict(subject))
        for k, e in enumerate(person.episodes, 1)
    ]
    resources += [
        _medication_resource(m, f"{pid}-med{k}", dict(subject))
        for k, m in enumerate(person.meds, 1)
    ]
    resources += [
        _allergy_resource(a, f"{pid}-ci{k}", dict(subject))
        for k, a in enumerate(person.allergies, 1)
    ]
    resources += [
        _observation_resource(o, f"{pid}-obs{k}", dict(subject))
        for k, o in enumerate(person.observations, 1)
    ]
    return [{"fullUrl": _full_url(practice_agb, r), "resource": r} for r in resources]


def _full_url(practice_agb: str, resource: dict) -> str:
    return f"urn:uuid:{uuid_for(practice_agb, resource['resourceType'], resource['id'])}"
