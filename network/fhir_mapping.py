"""Mapping one FHIR R4 resource of a HIS extraction onto our fields: the code systems we read
and what each resource type becomes. Pure functions, no database.

A value that cannot be used raises :class:`FieldError`, which names the FHIR element, so the
practice reads "Observation/obs-7, effectiveDateTime: …" and knows what to correct in the HIS.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.validators import bsn_is_valid

BSN_SYSTEMS = ("http://fhir.nl/fhir/NamingSystem/bsn", "urn:oid:2.16.840.1.113883.2.4.6.3")
BSN_SYSTEM = BSN_SYSTEMS[0]
HIS_PATIENT_SYSTEM = "https://regiozorg.nl/fhir/NamingSystem/his-patientnummer"
# Dutch GP systems and nl-core code episodes in ICPC-1-NL (NHG), with subcodes such as T90.02;
# ICPC-2 is what some systems outside the Netherlands send. Each also under its OID.
ICPC1NL_SYSTEM = "http://hl7.org/fhir/sid/icpc-1-nl"
ICPC2_SYSTEM = "http://hl7.org/fhir/sid/icpc-2"
ICPC_SYSTEMS = (
    ICPC1NL_SYSTEM,
    "urn:oid:2.16.840.1.113883.2.4.4.31.1",
    ICPC2_SYSTEM,
    "urn:oid:2.16.840.1.113883.6.139",
)
SNOMED_SYSTEM = "http://snomed.info/sct"
ATC_SYSTEM = "http://www.whocc.no/atc"
# The G-Standaard of Z-Index: generic product (GPK), prescription (PRK) and trade product (HPK).
GSTANDAARD_SYSTEMS = {
    "urn:oid:2.16.840.1.113883.2.4.4.1": "GPK",
    "urn:oid:2.16.840.1.113883.2.4.4.10": "PRK",
    "urn:oid:2.16.840.1.113883.2.4.4.7": "HPK",
}
LOINC_SYSTEM = "http://loinc.org"
NHG_TABLE_45_SYSTEM = (
    "https://referentiemodel.nhg.org/tabellen/nhg-tabel-45-diagnostische-bepalingen"
)
NHG_TABLE_45_SYSTEMS = (NHG_TABLE_45_SYSTEM, "urn:oid:2.16.840.1.113883.2.4.4.30.45")
LOINC_SYSTOLIC, LOINC_DIASTOLIC = "8480-6", "8462-4"
OWN_PREFIX_URL = "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix"
OWN_NAME_URL = "http://hl7.org/fhir/StructureDefinition/humanname-own-name"
MAX_VALUE = Decimal("1e9")  # Measurement.value: 12 digits, 3 after the point


class FieldError(ValueError):
    """A value of one FHIR element that cannot be imported; ``field`` names the element."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- reading elements -----------------------------------------------------------------------


def _coding(concept: dict | None, *systems: str) -> dict:
    for system in systems:
        for coding in (concept or {}).get("coding") or []:
            if coding.get("system") == system and coding.get("code"):
                return coding
    return {}


def _code(concept: dict | None, *systems: str, length: int) -> str:
    return str(_coding(concept, *systems).get("code") or "").strip()[:length]


def _text(concept: dict | None) -> str:
    concept = concept or {}
    if concept.get("text"):
        return concept["text"]
    for coding in concept.get("coding") or []:
        if coding.get("display"):
            return coding["display"]
    return ""


def _date(value, field: str) -> datetime.date | None:
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
        raise FieldError(field, _("“%(value)s” is not a valid date.") % {"value": text}) from None


def _datetime(value, field: str) -> datetime.datetime | None:
    """A FHIR dateTime, as a moment we can store: one that lies between the years 1 and 9999
    in UTC too (``0001-01-01T00:00:00+14:00`` is valid FHIR, but year 0 in UTC)."""
    if not value:
        return None
    text = str(value)
    if len(text) <= 10:
        day = _date(text, field)
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    else:
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(
                field, _("“%(value)s” is not a valid date.") % {"value": text[:40]}
            ) from None
        if not timezone.is_aware(moment):
            moment = timezone.make_aware(moment)
    try:
        moment.astimezone(datetime.UTC)
    except OverflowError:
        raise FieldError(
            field,
            _("“%(value)s” lies outside the dates that can be stored.") % {"value": text[:40]},
        ) from None
    return moment


def _decimal(value, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.001"))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= MAX_VALUE:
        raise FieldError(field, _("The measured value is out of range."))
    return number


def _extension(element: dict | None, url: str) -> str:
    for ext in (element or {}).get("extension") or []:
        if ext.get("url") == url:
            return ext.get("valueString") or ""
    return ""


def _normal_postal_code(value: str) -> str:
    compact = re.sub(r"\s", "", value or "").upper()
    return f"{compact[:4]} {compact[4:]}" if re.fullmatch(r"[1-9]\d{3}[A-Z]{2}", compact) else ""


# --- the resources --------------------------------------------------------------------------


def patient_fields(resource: dict) -> tuple[str, dict]:
    """The HIS number and our fields of a Patient."""
    identifiers = resource.get("identifier") or []
    his_id = next(
        (i.get("value", "") for i in identifiers if i.get("system") == HIS_PATIENT_SYSTEM), ""
    )
    his_id = (his_id or str(resource.get("id") or "")).strip()[:64]
    if not his_id:
        raise FieldError("identifier", _("The patient has no HIS number."))
    bsn = next(
        (i.get("value", "") for i in identifiers if i.get("system") in BSN_SYSTEMS), ""
    ).strip()
    if bsn and not bsn_is_valid(bsn):
        raise FieldError("identifier", _("The BSN does not pass the eleven test."))
    names = resource.get("name") or []
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    family = name.get("family") or ""
    surname = _extension(name.get("_family"), OWN_NAME_URL) or family
    infix = _extension(name.get("_family"), OWN_PREFIX_URL)
    if not surname:
        raise FieldError("name", _("The patient has no surname."))
    given = [g for g in name.get("given") or [] if g]
    birth_date = _date(resource.get("birthDate"), "birthDate")
    if birth_date is None:
        raise FieldError("birthDate", _("The patient has no date of birth."))
    addresses = resource.get("address") or []
    address = next(
        (a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else {}
    )
    phones = [t for t in resource.get("telecom") or [] if t.get("system") == "phone"]
    phone = next((t for t in phones if t.get("use") == "mobile"), phones[0] if phones else {})
    gender = resource.get("gender") or "unknown"
    return his_id, {
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


def _clinical(resource: dict) -> str:
    codings = (resource.get("clinicalStatus") or {}).get("coding") or []
    return (codings[0].get("code") or "") if codings else ""


def episode_fields(resource: dict, _medication=None) -> dict:
    """A Condition: ICPC-1-NL first (Dutch GP systems), then ICPC-2; SNOMED CT beside it."""
    code = resource.get("code")
    title = _text(code)
    if not title:
        raise FieldError("code", _("The episode has no title."))
    return {
        "icpc_code": _code(code, *ICPC_SYSTEMS, length=10).upper(),
        "snomed_code": _code(code, SNOMED_SYSTEM, length=18),
        "title": title[:200],
        "status": "active"
        if _clinical(resource) in ("active", "recurrence", "relapse", "")
        else "resolved",
        "start_date": _date(
            resource.get("onsetDateTime") or (resource.get("onsetPeriod") or {}).get("start"),
            "onsetDateTime",
        ),
        "end_date": _date(resource.get("abatementDateTime"), "abatementDateTime"),
    }


def medication_fields(resource: dict, medication: dict | None = None) -> dict:
    """A MedicationStatement; its medicine inline or (zib style) a Medication in the file."""
    concept = resource.get("medicationCodeableConcept") or (medication or {}).get("code")
    name = _text(concept)
    if not name:
        raise FieldError("medication", _("The medication has no name."))
    period = resource.get("effectivePeriod") or {}
    dosage = resource.get("dosage") or []
    gstandaard = _coding(concept, *GSTANDAARD_SYSTEMS)
    return {
        "atc_code": _code(concept, ATC_SYSTEM, length=10),
        "gstandaard_kind": GSTANDAARD_SYSTEMS.get(gstandaard.get("system"), ""),
        "gstandaard_code": str(gstandaard.get("code") or "").strip()[:20],
        "name": name[:200],
        "dosage": ((dosage[0].get("text") if dosage else "") or "")[:200],
        "status": "active" if resource.get("status") in ("active", "intended") else "completed",
        "start_date": _date(
            period.get("start") or resource.get("effectiveDateTime"), "effectivePeriod.start"
        ),
        "end_date": _date(period.get("end"), "effectivePeriod.end"),
    }


def contra_indication_fields(resource: dict, _medication=None) -> dict:
    code = resource.get("code")
    description = _text(code)
    if not description:
        raise FieldError("code", _("The contra-indication has no description."))
    first = next(iter((code or {}).get("coding") or []), {})
    kind = resource.get("type") or ""
    return {
        "description": description[:200],
        "code": (first.get("code") or "")[:20],
        "kind": kind if kind in ("allergy", "intolerance") else "",
        "is_high_risk": resource.get("criticality") == "high",
        "recorded_date": _date(resource.get("recordedDate"), "recordedDate"),
    }


def _unit(quantity: dict) -> str:
    unit = quantity.get("unit") or quantity.get("code") or ""
    return ("mmHg" if unit == "mm[Hg]" else unit)[:30]


def _component(components: list, loinc: str) -> tuple[int, dict]:
    for index, component in enumerate(components):
        if _coding(component.get("code"), LOINC_SYSTEM).get("code") == loinc:
            return index, component.get("valueQuantity") or {}
    return -1, {}


def measurement_fields(resource: dict, _medication=None) -> dict:
    """An Observation with one value, or a panel of components; blood pressure (systolic and
    diastolic, LOINC 8480-6 and 8462-4) keeps both numbers: ``value`` and ``value2``."""
    code = resource.get("code")
    name = _text(code)
    if not name:
        raise FieldError("code", _("The measurement has no name or no date."))
    field = "effectiveDateTime" if resource.get("effectiveDateTime") else "issued"
    measured_at = _datetime(resource.get("effectiveDateTime") or resource.get("issued"), field)
    if measured_at is None:
        start = (resource.get("effectivePeriod") or {}).get("start")
        measured_at = _datetime(start, "effectivePeriod.start")
    if measured_at is None:
        raise FieldError("effectiveDateTime", _("The measurement has no name or no date."))
    quantity = resource.get("valueQuantity") or {}
    value = _decimal(quantity.get("value"), "valueQuantity.value")
    value2 = None
    unit = _unit(quantity)
    text = resource.get("valueString") or _text(resource.get("valueCodeableConcept"))
    components = resource.get("component") or []
    if components and value is None and not text:
        high_at, systolic = _component(components, LOINC_SYSTOLIC)
        low_at, diastolic = _component(components, LOINC_DIASTOLIC)
        if systolic or diastolic:
            value = _decimal(systolic.get("value"), f"component[{high_at}].valueQuantity.value")
            value2 = _decimal(diastolic.get("value"), f"component[{low_at}].valueQuantity.value")
            unit = _unit(systolic) or _unit(diastolic)
        else:
            parts = []
            for index, component in enumerate(components):
                part = component.get("valueQuantity") or {}
                number = _decimal(part.get("value"), f"component[{index}].valueQuantity.value")
                shown = format(number.normalize(), "f") if number is not None else ""
                shown = shown or component.get("valueString") or ""
                parts.append(f"{_text(component.get('code'))}: {shown} {_unit(part)}".strip())
            text = "; ".join(parts)
    return {
        "nhg_code": _code(code, *NHG_TABLE_45_SYSTEMS, length=10),
        "loinc_code": _code(code, LOINC_SYSTEM, length=12),
        "name": name[:200],
        "value": value,
        "value2": value2,
        "value_text": (text or "")[:200],
        "unit": unit,
        "measured_at": measured_at,
    }


CHILD_MAPPERS = {
    "Condition": episode_fields,
    "MedicationStatement": medication_fields,
    "AllergyIntolerance": contra_indication_fields,
    "Observation": measurement_fields,
}
