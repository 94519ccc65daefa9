"""The generator's records as FHIR R4 resources and bundle entries, with uuid5 identifiers."""

from __future__ import annotations

import uuid

# Systems: the importer's own constants, so generator and importer cannot drift.
from network.fhir import (
    ATC_SYSTEM,
    BSN_SYSTEM,
    HIS_PATIENT_SYSTEM,
    ICPC2_SYSTEM,
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
)
from tools.extraction.records import Allergy, Episode, Med, Obs, Person
from tools.extraction.terminology import (
    ALLERGY_CLINICAL_SYSTEM,
    ALLERGY_VERIFICATION_SYSTEM,
    CONDITION_CLINICAL_SYSTEM,
    DRUGS,
    ICPC_TITLES,
    INTOLERANCES,
    MEASUREMENTS,
    UCUM_SYSTEM,
)

_TZ = "+01:00"  # all times are written as CET, also in summer; good enough for demo data

# Where uuid5 identifiers are derived from.
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://regiozorg.nl/fhir/extraction-generator")


def uuid_for(*parts: object) -> str:
    return str(uuid.uuid5(_UUID_NAMESPACE, "|".join(str(p) for p in parts)))


def _patient_resource(person: Person, pid: str) -> dict:
    family = f"{person.infix} {person.own_name}" if person.infix else person.own_name
    extension = [{"url": OWN_NAME_URL, "valueString": person.own_name}]
    if person.infix:
        extension.insert(0, {"url": OWN_PREFIX_URL, "valueString": person.infix})
    resource = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [
            {"system": BSN_SYSTEM, "value": person.bsn},
            {"system": HIS_PATIENT_SYSTEM, "value": pid},
        ],
        "name": [
            {
                "use": "official",
                "family": family,
                "_family": {"extension": extension},
                "given": list(person.given),
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
    title = ICPC_TITLES[episode.code]
    status = "active" if episode.active else "resolved"
    resource = {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL_SYSTEM, "code": status}]},
        "code": {
            "coding": [{"system": ICPC2_SYSTEM, "code": episode.code, "display": title}],
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


def _observation_resource(obs: Obs, rid: str, subject: dict) -> dict:
    kind = MEASUREMENTS[obs.key]
    coding = [{"system": LOINC_SYSTEM, "code": kind.loinc}]
    if kind.nhg:
        coding.insert(0, {"system": NHG_TABLE_45_SYSTEM, "code": kind.nhg, "display": kind.name})
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": coding, "text": kind.name},
        "subject": subject,
        "effectiveDateTime": obs.when.strftime("%Y-%m-%dT%H:%M:00") + _TZ,
        "valueQuantity": {
            "value": obs.value,
            "unit": kind.unit,
            "system": UCUM_SYSTEM,
            "code": kind.ucum,
        },
    }


def bundle_entries(person: Person, pid: str, practice_agb: str) -> list[dict]:
    subject = {"reference": f"Patient/{pid}"}
    resources = [_patient_resource(person, pid)]
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
    return [
        {"fullUrl": f"urn:uuid:{uuid_for(practice_agb, r['resourceType'], r['id'])}", "resource": r}
        for r in resources
    ]
