"""Reading a HIS extraction: a FHIR R4 Bundle (JSON) into plain field dicts.

Pure functions, no database. Each resource is validated with ``fhir.resources`` (its R4B models,
which read R4 for the five resource types we take) and then mapped (``network.fhir_mapping``); a
resource that does not validate or map becomes a :class:`ResourceError` with a Dutch message,
and the rest goes on.

References between resources are resolved by the rules of a FHIR Bundle, so files from other
systems fit: a ``urn:uuid:`` reference matches the entry with that ``fullUrl`` (Synthea), an
absolute URL matches the entry with that ``fullUrl``, and a relative ``Patient/1`` is read
against the base of the referring entry's ``fullUrl`` — and, when no entry has that full URL,
as the plain ``type/id`` of a resource in the file.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient
from pydantic import ValidationError as PydanticValidationError

from network.fhir_mapping import (
    ATC_SYSTEM,
    BSN_SYSTEM,
    CHILD_MAPPERS,
    HIS_PATIENT_SYSTEM,
    ICPC1NL_SYSTEM,
    ICPC2_SYSTEM,
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
    SNOMED_SYSTEM,
    FieldError,
    patient_fields,
)

__all__ = [
    "ATC_SYSTEM",
    "BSN_SYSTEM",
    "CHILD_KINDS",
    "HIS_PATIENT_SYSTEM",
    "ICPC1NL_SYSTEM",
    "ICPC2_SYSTEM",
    "LOINC_SYSTEM",
    "NHG_TABLE_45_SYSTEM",
    "OWN_NAME_URL",
    "OWN_PREFIX_URL",
    "SNOMED_SYSTEM",
    "BundleError",
    "PatientRecord",
    "ResourceError",
    "bundle_load",
    "bundle_parse",
    "bundle_patient_count",
    "bundle_source_agb",
]

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
# Our kind -> the resource type it comes from (to name a skipped child in the error list).
KIND_TYPES = {kind: resource_type for resource_type, (kind, _p) in CHILDREN.items()}
PROGRESS_EVERY = 500  # resources between two progress reports while validating


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
    field: str = ""

    def as_dict(self) -> dict:
        return {"resource": self.ref, "field": self.field, "message": self.message}


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

    def child_refs(self) -> list[str]:
        """The references of this patient's children, to report them skipped."""
        return [
            f"{KIND_TYPES[kind]}/{his_id}"
            for kind, rows in self.children.items()
            for his_id, _fields in rows
        ]


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


def bundle_resource_count(bundle: dict) -> int:
    return len(bundle["entry"])


def _resource(entry) -> dict:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    return resource if isinstance(resource, dict) else {}


def _full_url(entry) -> str:
    value = entry.get("fullUrl") if isinstance(entry, dict) else None
    return value.strip() if isinstance(value, str) else ""


def _resource_id(resource: dict, full_url: str) -> str:
    """The resource's id; a resource POSTed in a transaction may have only its ``urn:uuid:``."""
    rid = str(resource.get("id") or "").strip()
    if not rid and full_url.startswith(("urn:uuid:", "urn:oid:")):
        rid = full_url.rsplit(":", 1)[1]
    return rid[:64]


# A RESTful URL: the server's base, the type and the id (and maybe a version).
REST_URL = re.compile(r"^(?P<base>.*?/)?(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})$")


def _without_history(reference: str) -> str:
    return re.sub(r"/_history/[^/]*$", "", reference)


class _Index:
    """The entries others may point at (patients, medicines), by every name the Bundle rules
    give them: the ``fullUrl`` and the plain ``type/id``."""

    def __init__(self) -> None:
        self.by_url: dict[str, tuple[str, dict]] = {}
        self.by_ref: dict[str, tuple[str, dict, str]] = {}

    def add(self, ref: str, resource: dict, full_url: str) -> None:
        if full_url:
            self.by_url.setdefault(_without_history(full_url), (ref, resource))
        self.by_ref.setdefault(ref, (ref, resource, full_url))

    def resolve(self, reference: str, kind: str, from_url: str) -> tuple[str, dict] | None:
        """What ``reference`` (in the entry with ``from_url``) points at, if of type ``kind``."""
        reference = _without_history(reference.strip())
        if not reference:
            return None
        found = self.by_url.get(reference)
        rest = REST_URL.match(reference)
        if found is None and rest and not rest["base"]:
            # Relative: against the base of the referring entry's fullUrl, then as type/id.
            own = REST_URL.match(from_url) if from_url.startswith(("http:", "https:")) else None
            if own and own["base"]:
                found = self.by_url.get(own["base"] + reference)
            if found is None and (plain := self.by_ref.get(reference)) is not None:
                found = plain[:2]
        elif found is None and rest and rest["base"]:
            # Absolute, but no entry has that fullUrl: a resource without fullUrl may be it.
            plain = self.by_ref.get(f"{rest['type']}/{rest['id']}")
            if plain is not None and not plain[2]:
                found = plain[:2]
        if found is None or not found[0].startswith(f"{kind}/"):
            return None
        return found


def _validation_message(exc: PydanticValidationError) -> tuple[str, str]:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__")
    detail = f"{where}: {first.get('msg', '')}" if where else first.get("msg", "")
    return where[:100], _("Not a valid FHIR resource (%(detail)s).") % {"detail": detail[:200]}


def _check_status(kind: str, resource: dict) -> None:
    status = resource.get("status")
    allowed = ALLOWED_STATUS.get(kind)
    if allowed is not None and status not in allowed:
        raise FieldError("status", _("Unknown status “%(status)s”.") % {"status": str(status)[:30]})
    codings = (resource.get("verificationStatus") or {}).get("coding") or []
    verification = (codings[0].get("code") or "") if codings else ""
    if status in RETRACTED_STATUS or verification in RETRACTED_VERIFICATION:
        raise Retracted


def _index(entries: list) -> tuple[_Index, _Index]:
    """Patients and Medication resources (a zib MedicationStatement points at one)."""
    patients, medicines = _Index(), _Index()
    for entry in entries:
        resource = _resource(entry)
        kind = resource.get("resourceType")
        if kind in ("Patient", "Medication"):
            full_url = _full_url(entry)
            ref = f"{kind}/{_resource_id(resource, full_url)}"
            (patients if kind == "Patient" else medicines).add(ref, resource, full_url)
    return patients, medicines


def bundle_parse(
    bundle: dict, *, progress: Callable[[int], None] | None = None
) -> tuple[list[PatientRecord], list[ResourceError], int]:
    """Patients with their children, the errors, and how many resources were ignored.

    ``progress(n)`` is called every :data:`PROGRESS_EVERY` resources with the number checked.
    Two Patient resources with one HIS number are both refused (which of them is right cannot
    be told), and so are their children.
    """
    entries = bundle["entry"]
    patient_index, medicine_index = _index(entries)
    patients: dict[str, PatientRecord] = {}
    children: list[tuple[str, str, str, dict | None]] = []  # (patient ref, kind, ref, fields)
    errors: list[ResourceError] = []
    ignored = 0
    seen_bsn: set[str] = set()
    seen: dict[str, dict] = {}
    for number, entry in enumerate(entries, 1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
        resource = _resource(entry)
        kind = resource.get("resourceType")
        model = MODELS.get(kind)
        if model is None:
            ignored += kind != "Medication"  # a Medication is read through its statement
            continue
        full_url = _full_url(entry)
        rid = _resource_id(resource, full_url)
        ref = f"{kind}/{rid or '?'}"
        try:
            if not rid:
                raise FieldError("id", _("This resource has no id."))
            if ref in seen:
                if seen[ref] == resource:  # a searchset may list a resource twice
                    continue
                raise FieldError("id", _("This resource occurs twice in the file."))
            seen[ref] = resource
            model.model_validate(resource)
            if kind == "Patient":
                his_id, fields = patient_fields(resource)
                bsn = fields["bsn"]
                if bsn and bsn in seen_bsn:
                    raise FieldError(
                        "identifier", _("Another patient in this file has the same BSN.")
                    )
                seen_bsn.add(bsn)
                patients[ref] = PatientRecord(his_id=his_id, ref=ref, fields=fields)
                continue
            child_kind, pointer = CHILDREN[kind]
            reference = str((resource.get(pointer) or {}).get("reference") or "")
            target = patient_index.resolve(reference, "Patient", full_url)
            medicine = None
            if kind == "MedicationStatement" and "medicationReference" in resource:
                link = str(resource["medicationReference"].get("reference") or "")
                found = medicine_index.resolve(link, "Medication", full_url)
                medicine = found[1] if found else None
            try:
                _check_status(kind, resource)
                fields = CHILD_MAPPERS[kind](resource, medicine)
            except Retracted:
                fields = None
            children.append((target[0] if target else "", child_kind, ref, fields))
        except PydanticValidationError as exc:
            where, message = _validation_message(exc)
            errors.append(ResourceError(ref, message, where))
        except FieldError as exc:
            errors.append(ResourceError(ref, str(exc), exc.field))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            errors.append(ResourceError(ref, str(exc) or _("This resource cannot be read.")))
    if progress is not None:
        progress(len(entries))

    twice = {h for h, n in Counter(r.his_id for r in patients.values()).items() if n > 1}
    for record in [r for r in patients.values() if r.his_id in twice]:
        errors.append(
            ResourceError(
                record.ref,
                _("Another patient in this file has the same HIS number (%(his)s).")
                % {"his": record.his_id},
                "identifier",
            )
        )
        del patients[record.ref]
    rejected = {e.ref for e in errors if e.ref.startswith("Patient/")}
    for target, child_kind, ref, fields in children:
        record = patients.get(target)
        if record is None:
            if target in rejected:
                errors.append(
                    ResourceError(ref, _("Skipped because its patient could not be imported."))
                )
            else:
                pointer = CHILDREN[ref.split("/", 1)[0]][1]
                message = _("Refers to a patient who is not in this file.")
                errors.append(ResourceError(ref, message, pointer))
            continue
        his_id = ref.split("/", 1)[1]
        if fields is None:
            record.retracted[child_kind].append(his_id)
        else:
            record.children[child_kind].append((his_id, fields))
    return list(patients.values()), errors, ignored
