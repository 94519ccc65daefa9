"""Reading a HIS extraction: a FHIR R4 Bundle (JSON) into plain field dicts.

Pure functions, no database. Each resource is validated with ``fhir.resources`` (its R4B models,
which read R4 for the five resource types we take) and then mapped; a resource that does not
validate or map becomes a :class:`ResourceError` with a Dutch message, and the rest goes on.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from pydantic import ValidationError as PydanticValidationError

from accounts.validators import bsn_is_valid

BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
HIS_PATIENT_SYSTEM = "https://regiozorg.nl/fhir/NamingSystem/his-patientnummer"
# Dutch GP systems and nl-core code episodes in ICPC-1-NL (NHG), with subcodes such as T90.02;
# ICPC-2 is what some systems outside the Netherlands send.
ICPC1NL_SYSTEM = "http://hl7.org/fhir/sid/icpc-1-nl"
ICPC2_SYSTEM = "http://hl7.org/fhir/sid/icpc-2"
SNOMED_SYSTEM = "http://snomed.info/sct"
ATC_SYSTEM = "http://www.whocc.no/atc"
LOINC_SYSTEM = "http://loinc.org"
NHG_TABLE_45_SYSTEM = (
    "https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen"
)
OWN_PREFIX_URL = "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix"
OWN_NAME_URL = "http://hl7.org/fhir/StructureDefinition/humanname-own-name"

BUNDLE_TYPES = {"collection", "batch", "transaction", "searchset", "document"}
MODELS = {
    "Patient": FhirPatient,
    "Condition": Condition,
    "MedicationStatement": MedicationStatement,
    "AllergyIntolerance": AllergyIntolerance,
    "Observation": Observation,
}
# Child resource type -> (our kind, the field that points at the patient)
CHILDREN = {
    "Condition": ("episodes", "subject"),
    "MedicationStatement": ("medications", "subject"),
    "AllergyIntolerance": ("contra_indications", "patient"),
    "Observation": ("measurements", "subject"),
}
CHILD_KINDS = ("episodes", "medications", "contra_indications", "measurements")


class BundleError(Exception):
    """The file as a whole is not a usable extraction; nothing is imported."""


class Retracted(Exception):
    """The HIS marked this resource as entered in error, refuted or not taken: remove it."""


# Statuses FHIR R4 allows; fhir.resources does not check required code lists itself.
ALLOWED_STATUS = {
    "Observation": {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    },
    "MedicationStatement": {
        "active",
        "completed",
        "entered-in-error",
        "intended",
        "stopped",
        "on-hold",
        "unknown",
        "not-taken",
    },
}
RETRACTED_STATUS = {"entered-in-error", "cancelled", "not-taken"}
RETRACTED_VERIFICATION = {"entered-in-error", "refuted"}


@dataclass(frozen=True)
class ResourceError:
    ref: str
    message: str

    def as_dict(self) -> dict:
        return {"resource": self.ref, "message": self.message}


@dataclass
class PatientRecord:
    his_id: str
    ref: str
    fields: dict
    children: dict[str, list[tuple[str, dict]]] = field(
        default_factory=lambda: {kind: [] for kind in CHILD_KINDS}
    )
    # HIS identifiers of resources the HIS has withdrawn; an earlier import's copy is removed.
    retracted: dict[str, list[str]] = field(
        default_factory=lambda: {kind: [] for kind in CHILD_KINDS}
    )


def bundle_load(raw: bytes) -> dict:
    """Decode and check the outer shape; raise :class:`BundleError` in Dutch."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BundleError(
            _("This file is not JSON. Upload the FHIR extraction from your HIS.")
        ) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleError(
            _("This file is not a FHIR Bundle. Upload the FHIR extraction from your HIS.")
        )
    if not isinstance(data.get("meta", {}), dict):
        raise BundleError(_("This FHIR Bundle has an invalid 'meta' element."))
    if data.get("type") not in BUNDLE_TYPES:
        raise BundleError(_("This FHIR Bundle has an unknown type."))
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise BundleError(_("This FHIR Bundle holds no resources."))
    if not any(
        isinstance(e, dict) and _resource(e).get("resourceType") == "Patient" for e in entries
    ):
        raise BundleError(_("This FHIR Bundle holds no patients."))
    return data


def bundle_source_agb(bundle: dict) -> str:
    source = str((bundle.get("meta") or {}).get("source") or "")
    match = re.fullmatch(r"urn:agb:(\d{8})", source)
    return match.group(1) if match else ""


def bundle_patient_count(bundle: dict) -> int:
    return sum(1 for e in bundle["entry"] if _resource(e).get("resourceType") == "Patient")


def _resource(entry) -> dict:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    return resource if isinstance(resource, dict) else {}


def _ref(resource: dict) -> str:
    return f"{resource.get('resourceType', '?')}/{str(resource.get('id', '?'))[:64]}"


def _validation_message(exc: PydanticValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    detail = f"{where}: {first.get('msg', '')}" if where else first.get("msg", "")
    return _("Not a valid FHIR resource (%(detail)s).") % {"detail": detail[:200]}


def _check_status(kind: str, resource: dict) -> None:
    status = resource.get("status")
    allowed = ALLOWED_STATUS.get(kind)
    if allowed is not None and status not in allowed:
        raise ValueError(_("Unknown status “%(status)s”.") % {"status": str(status)[:30]})
    codings = (resource.get("verificationStatus") or {}).get("coding") or []
    verification = (codings[0].get("code") or "") if codings else ""
    if status in RETRACTED_STATUS or verification in RETRACTED_VERIFICATION:
        raise Retracted


def bundle_parse(bundle: dict) -> tuple[list[PatientRecord], list[ResourceError], int]:
    """Patients with their children, the errors, and how many resources were ignored."""
    patients: dict[str, PatientRecord] = {}
    orphans: list[tuple[str, str, str, dict | None]] = []
    errors: list[ResourceError] = []
    ignored = 0
    seen_bsn: set[str] = set()
    seen_refs: set[str] = set()
    for entry in bundle["entry"]:
        resource = _resource(entry)
        kind = resource.get("resourceType")
        model = MODELS.get(kind)
        if model is None:
            ignored += 1
            continue
        ref = _ref(resource)
        try:
            if not str(resource.get("id") or "").strip():
                raise ValueError(_("This resource has no id."))
            if ref in seen_refs:
                raise ValueError(_("This resource occurs twice in the file."))
            seen_refs.add(ref)
            model.model_validate(resource)
            if kind == "Patient":
                record = _patient(resource, ref)
                bsn = record.fields["bsn"]
                if bsn and bsn in seen_bsn:
                    raise ValueError(_("Another patient in this file has the same BSN."))
                seen_bsn.add(bsn)
                patients[record.ref] = record
                continue
            child_kind, pointer = CHILDREN[kind]
            target = ((resource.get(pointer) or {}).get("reference") or "").strip()
            try:
                _check_status(kind, resource)
                fields = _CHILD_MAPPERS[kind](resource)
            except Retracted:
                fields = None
            orphans.append((target, child_kind, ref, fields))
        except PydanticValidationError as exc:
            errors.append(ResourceError(ref, _validation_message(exc)))
        except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            errors.append(ResourceError(ref, str(exc) or _("This resource cannot be read.")))
    rejected = {e.ref for e in errors if e.ref.startswith("Patient/")}
    for target, child_kind, ref, fields in orphans:
        record = patients.get(target)
        if record is None:
            message = (
                _("Skipped because its patient could not be imported.")
                if target in rejected
                else _("Refers to a patient who is not in this file.")
            )
            errors.append(ResourceError(ref, message))
            continue
        his_id = ref.split("/", 1)[1]
        if fields is None:
            record.retracted[child_kind].append(his_id)
        else:
            record.children[child_kind].append((his_id, fields))
    return list(patients.values()), errors, ignored


# --- mapping --------------------------------------------------------------------------------


def _coding(concept: dict | None, system: str) -> dict:
    for coding in (concept or {}).get("coding") or []:
        if coding.get("system") == system:
            return coding
    return {}


def _text(concept: dict | None) -> str:
    concept = concept or {}
    if concept.get("text"):
        return concept["text"]
    for coding in concept.get("coding") or []:
        if coding.get("display"):
            return coding["display"]
    return ""


def _date(value) -> datetime.date | None:
    """A FHIR date; a partial one ("1950", "2019-05") is taken as its first day."""
    if not value:
        return None
    text = str(value)[:10]
    if re.fullmatch(r"\d{4}", text):
        text += "-01-01"
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a valid date.") % {"value": text}) from None


def _datetime(value) -> datetime.datetime | None:
    if not value:
        return None
    text = str(value)
    if len(text) <= 10:
        day = _date(text)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(_("“%(value)s” is not a valid date.") % {"value": text[:40]}) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _extension(element: dict | None, url: str) -> str:
    for ext in (element or {}).get("extension") or []:
        if ext.get("url") == url:
            return ext.get("valueString") or ""
    return ""


def _normal_postal_code(value: str) -> str:
    compact = re.sub(r"\s", "", value or "").upper()
    return f"{compact[:4]} {compact[4:]}" if re.fullmatch(r"[1-9]\d{3}[A-Z]{2}", compact) else ""


def _patient(resource: dict, ref: str) -> PatientRecord:
    identifiers = resource.get("identifier") or []
    his_id = next(
        (i.get("value", "") for i in identifiers if i.get("system") == HIS_PATIENT_SYSTEM), ""
    )
    his_id = (his_id or str(resource.get("id") or "")).strip()[:64]
    if not his_id:
        raise ValueError(_("The patient has no HIS number."))
    bsn = next(
        (i.get("value", "") for i in identifiers if i.get("system") == BSN_SYSTEM), ""
    ).strip()
    if bsn and not bsn_is_valid(bsn):
        raise ValueError(_("The BSN does not pass the eleven test."))
    names = resource.get("name") or []
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    family = name.get("family") or ""
    surname = _extension(name.get("_family"), OWN_NAME_URL) or family
    infix = _extension(name.get("_family"), OWN_PREFIX_URL)
    if not surname:
        raise ValueError(_("The patient has no surname."))
    given = [g for g in name.get("given") or [] if g]
    birth_date = _date(resource.get("birthDate"))
    if birth_date is None:
        raise ValueError(_("The patient has no date of birth."))
    addresses = resource.get("address") or []
    address = next(
        (a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else {}
    )
    phones = [t for t in resource.get("telecom") or [] if t.get("system") == "phone"]
    phone = next((t for t in phones if t.get("use") == "mobile"), phones[0] if phones else {})
    gender = resource.get("gender") or "unknown"
    fields = {
        "bsn": bsn,
        "initials": "".join(f"{g[0].upper()}." for g in given)[:20],
        "first_name": (given[0] if given else "")[:100],
        "infix": infix[:20],
        "surname": surname[:150],
        "gender": gender if gender in ("male", "female", "other") else "unknown",
        "birth_date": birth_date,
        "street": " ".join(address.get("line") or [])[:200],
        "postal_code": _normal_postal_code(address.get("postalCode") or ""),
        "city": (address.get("city") or "")[:100],
        "phone": (phone.get("value") or "")[:20],
    }
    return PatientRecord(his_id=his_id, ref=f"Patient/{resource.get('id')}", fields=fields)


def _clinical(resource: dict) -> str:
    codings = (resource.get("clinicalStatus") or {}).get("coding") or []
    return (codings[0].get("code") or "") if codings else ""


def _episode(resource: dict) -> dict:
    code = resource.get("code")
    title = _text(code)
    if not title:
        raise ValueError(_("The episode has no title."))
    return {
        "icpc_code": (_coding(code, ICPC2_SYSTEM).get("code") or "")[:10],
        "title": title[:200],
        "status": "active"
        if _clinical(resource) in ("active", "recurrence", "relapse", "")
        else "resolved",
        "start_date": _date(
            resource.get("onsetDateTime") or (resource.get("onsetPeriod") or {}).get("start")
        ),
        "end_date": _date(resource.get("abatementDateTime")),
    }


def _medication(resource: dict) -> dict:
    concept = resource.get("medicationCodeableConcept")
    name = _text(concept)
    if not name:
        raise ValueError(_("The medication has no name."))
    period = resource.get("effectivePeriod") or {}
    dosage = resource.get("dosage") or []
    return {
        "atc_code": (_coding(concept, ATC_SYSTEM).get("code") or "")[:10],
        "name": name[:200],
        "dosage": ((dosage[0].get("text") if dosage else "") or "")[:200],
        "status": "active" if resource.get("status") in ("active", "intended") else "completed",
        "start_date": _date(period.get("start") or resource.get("effectiveDateTime")),
        "end_date": _date(period.get("end")),
    }


def _contra_indication(resource: dict) -> dict:
    code = resource.get("code")
    description = _text(code)
    if not description:
        raise ValueError(_("The contra-indication has no description."))
    first = next(iter((code or {}).get("coding") or []), {})
    kind = resource.get("type") or ""
    return {
        "description": description[:200],
        "code": (first.get("code") or "")[:20],
        "kind": kind if kind in ("allergy", "intolerance") else "",
        "is_high_risk": resource.get("criticality") == "high",
        "recorded_date": _date(resource.get("recordedDate")),
    }


def _measurement(resource: dict) -> dict:
    code = resource.get("code")
    name = _text(code)
    measured_at = _datetime(resource.get("effectiveDateTime") or resource.get("issued"))
    if not name or measured_at is None:
        raise ValueError(_("The measurement has no name or no date."))
    quantity = resource.get("valueQuantity") or {}
    value = None
    if quantity.get("value") is not None:
        value = Decimal(str(quantity["value"])).quantize(Decimal("0.001"))
        if abs(value) >= Decimal("1e9"):
            raise ValueError(_("The measured value is out of range."))
    return {
        "nhg_code": (_coding(code, NHG_TABLE_45_SYSTEM).get("code") or "")[:10],
        "loinc_code": (_coding(code, LOINC_SYSTEM).get("code") or "")[:12],
        "name": name[:200],
        "value": value,
        "value_text": (resource.get("valueString") or _text(resource.get("valueCodeableConcept")))[
            :200
        ],
        "unit": (quantity.get("unit") or quantity.get("code") or "")[:30],
        "measured_at": measured_at,
    }


_CHILD_MAPPERS = {
    "Condition": _episode,
    "MedicationStatement": _medication,
    "AllergyIntolerance": _contra_indication,
    "Observation": _measurement,
}
