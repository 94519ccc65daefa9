"""FHIR pieces every resource we send is built from, following the Dutch core profiles (nl-core,
zib2020): the naming systems, identifiers, names with their Dutch parts, Organization,
Practitioner and PractitionerRole, the Patient, ICPC-1-NL coding and conditional requests.
What each app sends (a Communication of a conversation, a referral's Bundle) is built in
``his.builders`` or by the app itself from these.

Every resource carries a business identifier in this installation's own naming system
(``settings.FHIR_IDENTIFIER_SYSTEM``) whose value is a UUID kept on the object, never a database
number; a transaction matches on it (or on BSN, URA, AGB, UZI when known) so a second delivery
updates what the first created.

The naming systems a HIS extraction is read with live in ``network.fhir`` (the floor below);
they are the same systems, so they are taken from there.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from django.conf import settings

from network.fhir import (
    BSN_SYSTEM,
    HIS_PATIENT_SYSTEM,
    ICPC1NL_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
)

__all__ = [
    "AGB_SYSTEM",
    "BSN_SYSTEM",
    "HIS_PATIENT_SYSTEM",
    "ICPC1NL_SYSTEM",
    "URA_SYSTEM",
    "URI_SYSTEM",
    "UZI_SYSTEM",
    "conditional_create",
    "conditional_update",
    "human_name",
    "icpc_coding",
    "organization_match",
    "organization_resource",
    "own_identifier",
    "patient_identifiers",
    "patient_resource",
    "practitioner_match",
    "practitioner_resource",
    "practitioner_role_resource",
    "profile",
    "role_uuid",
    "team_resource",
]

AGB_SYSTEM = "http://fhir.nl/fhir/NamingSystem/agb-z"
URA_SYSTEM = "http://fhir.nl/fhir/NamingSystem/ura"
UZI_SYSTEM = "http://fhir.nl/fhir/NamingSystem/uzi-nr-pers"
URI_SYSTEM = "urn:ietf:rfc:3986"
EN_QUALIFIER_URL = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier"
NL_CORE = "http://nictiz.nl/fhir/StructureDefinition/"
PATIENT_PROFILE = NL_CORE + "nl-core-Patient"
ORGANIZATION_PROFILE = NL_CORE + "nl-core-HealthcareProvider-Organization"
PRACTITIONER_PROFILE = NL_CORE + "nl-core-HealthProfessional-Practitioner"
PRACTITIONER_ROLE_PROFILE = NL_CORE + "nl-core-HealthProfessional-PractitionerRole"
PROBLEM_PROFILE = NL_CORE + "nl-core-Problem"


def profile(url: str) -> dict:
    return {"profile": [url]}


def own_identifier(value: uuid.UUID | str) -> dict:
    """This installation's identifier of one object (its stored UUID)."""
    return {"system": settings.FHIR_IDENTIFIER_SYSTEM, "value": str(value)}


def role_uuid(user, organisation) -> uuid.UUID:
    """A person working for an organisation (PractitionerRole), from the two stored UUIDs."""
    return uuid.uuid5(user.uuid, str(organisation.uuid))


def _search(identifier: dict) -> str:
    return "identifier=" + quote(f"{identifier['system']}|{identifier['value']}", safe=":/|.-_~")


def conditional_create(resource: dict, full_url: str, *, match: dict) -> dict:
    """A transaction entry that creates ``resource`` unless the receiver has one with the
    ``match`` identifier (``ifNoneExist``): a patient, organisation or professional it knows
    is used as it is."""
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {
            "method": "POST",
            "url": resource["resourceType"],
            "ifNoneExist": _search(match),
        },
    }


def conditional_update(resource: dict, full_url: str, *, match: dict) -> dict:
    """A transaction entry that updates the receiver's resource with the ``match`` identifier,
    or creates it: every step of a referral lands on the same ServiceRequest and Task."""
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "PUT", "url": f"{resource['resourceType']}?{_search(match)}"},
    }


def _qualified(value: str, qualifier: str) -> tuple[str, dict]:
    return value, {"extension": [{"url": EN_QUALIFIER_URL, "valueCode": qualifier}]}


def _initials(initials: str) -> list[str]:
    """ "J.P." and "JP" → ["J.", "P."]; "Th.J." → ["Th.", "J."]."""
    text = (initials or "").replace(" ", "")
    if not text:
        return []
    if "." not in text:
        return [f"{letter}." for letter in text if letter.isalpha()]
    return [f"{part}." for part in text.split(".") if part]


def human_name(*, text: str, surname: str, infix: str = "", first_name: str = "", initials=""):
    """An official name with the nl-core name parts: ``family`` as a whole ("van der Meer") and
    its own prefix and own name as ``_family`` extensions (what Dutch systems, and our importer,
    read), the name someone goes by as a given name qualified CL (call name) and the initials
    qualified IN, as nl-core-NameInformation asks."""
    family = " ".join(p for p in (infix, surname) if p)
    family_parts = [{"url": OWN_NAME_URL, "valueString": surname}]
    if infix:
        family_parts.insert(0, {"url": OWN_PREFIX_URL, "valueString": infix})
    name = {"use": "official", "text": text, "family": family}
    name["_family"] = {"extension": family_parts}
    given = []
    if first_name:
        given.append(_qualified(first_name, "CL"))
    given += [_qualified(initial, "IN") for initial in _initials(initials)]
    if given:
        name["given"] = [value for value, _ in given]
        name["_given"] = [element for _, element in given]
    return name


def patient_identifiers(*, bsn: str = "", his_id: str = "") -> list[dict]:
    """The patient's identifiers, BSN first: a reference holds one identifier, and the BSN is
    the one every Dutch system knows; the HIS number serves the patient's own practice."""
    identifiers = []
    if bsn:
        identifiers.append({"system": BSN_SYSTEM, "value": bsn})
    if his_id:
        identifiers.append({"system": HIS_PATIENT_SYSTEM, "value": his_id})
    return identifiers


def patient_resource(patient, *, identity: bool = True, his_number: bool = False) -> dict:
    """An nl-core Patient of ``patient`` (a Patient or an ``ExportPatient``). Without
    ``identity`` (the matrix does not show the receiver the patient's identity) only this
    installation's identifier; the HIS number only for the patient's own practice."""
    identifiers = patient_identifiers(
        bsn=patient.bsn if identity else "", his_id=patient.his_id if his_number else ""
    )
    resource = {
        "resourceType": "Patient",
        "meta": profile(PATIENT_PROFILE),
        "identifier": [*identifiers, own_identifier(patient.uuid)],
    }
    if identity:
        resource["name"] = [
            human_name(
                text=patient.formal_name,
                surname=patient.surname,
                infix=patient.infix,
                first_name=patient.first_name,
                initials=patient.initials,
            )
        ]
        if patient.gender in ("male", "female", "other", "unknown"):
            resource["gender"] = patient.gender
        resource["birthDate"] = patient.birth_date.isoformat()
    return resource


# The national identifiers, in the order receivers best match on: (system, attribute).
ORGANISATION_IDENTIFIERS = ((URA_SYSTEM, "ura_number"), (AGB_SYSTEM, "agb_code"))
PROFESSIONAL_IDENTIFIERS = ((UZI_SYSTEM, "uzi_number"), (AGB_SYSTEM, "agb_code"))


def _identifiers(obj, systems) -> list[dict]:
    """The national identifiers ``obj`` has (``systems``: (system, attribute) pairs, in the
    order receivers match on), then this installation's own."""
    found = [
        {"system": system, "value": getattr(obj, name)}
        for system, name in systems
        if getattr(obj, name)
    ]
    return [*found, own_identifier(obj.uuid)]


def _resource_start(kind: str, local_id: str | None, profile_url: str) -> dict:
    """``resourceType``, the ``id`` when contained, and the nl-core profile, in that order."""
    resource = {"resourceType": kind}
    if local_id:
        resource["id"] = local_id
    resource["meta"] = profile(profile_url)
    return resource


def organization_resource(organisation, local_id: str | None = None) -> dict:
    """An nl-core Organization (a healthcare provider): name, URA and AGB when known, this
    installation's identifier, address and phone. ``local_id`` when it is contained."""
    resource = _resource_start("Organization", local_id, ORGANIZATION_PROFILE)
    resource |= {
        "identifier": _identifiers(organisation, ORGANISATION_IDENTIFIERS),
        "active": organisation.is_active,
        "name": organisation.name,
    }
    if organisation.phone:
        resource["telecom"] = [{"system": "phone", "value": organisation.phone, "use": "work"}]
    if organisation.street or organisation.city:
        address = {"use": "work", "type": "physical", "country": "NL"}
        if organisation.street:
            address["line"] = [organisation.street]
        if organisation.postal_code:
            address["postalCode"] = organisation.postal_code
        if organisation.city:
            address["city"] = organisation.city
        resource["address"] = [address]
    return resource


def team_resource(team, *, part_of: dict) -> dict:
    """A team as an nl-core Organization that is ``partOf`` its organisation (a reference)."""
    return {
        "resourceType": "Organization",
        "meta": profile(ORGANIZATION_PROFILE),
        "identifier": [own_identifier(team.uuid)],
        "active": team.is_active,
        "name": team.name,
        "partOf": part_of,
    }


def practitioner_resource(user, local_id: str | None = None) -> dict:
    """An nl-core Practitioner: the person, with UZI and AGB when known."""
    resource = _resource_start("Practitioner", local_id, PRACTITIONER_PROFILE)
    resource |= {
        "identifier": _identifiers(user, PROFESSIONAL_IDENTIFIERS),
        "name": [
            human_name(
                text=user.full_name,
                surname=user.last_name,
                infix=user.infix,
                first_name=user.first_name,
                initials=user.initials,
            )
        ],
    }
    return resource


def practitioner_role_resource(
    user, organisation, *, practitioner: dict, organization: dict, local_id: str | None = None
) -> dict:
    """An nl-core PractitionerRole: ``user`` working for ``organisation`` (references given)."""
    resource = _resource_start("PractitionerRole", local_id, PRACTITIONER_ROLE_PROFILE)
    resource |= {
        "identifier": [own_identifier(role_uuid(user, organisation))],
        "practitioner": practitioner,
        "organization": organization,
    }
    return resource


def practitioner_match(user) -> dict:
    """The identifier a receiver best knows a professional by: UZI, AGB, else ours."""
    return _identifiers(user, PROFESSIONAL_IDENTIFIERS)[0]


def organization_match(organisation) -> dict:
    """The identifier a receiver best knows an organisation by: URA, AGB, else ours."""
    return _identifiers(organisation, ORGANISATION_IDENTIFIERS)[0]


ICPC_TITLE_MAX = 200
_SPACES = re.compile(r"\s+")


def icpc_coding(code: str, display: str | None = None) -> dict:
    """One ICPC-1-NL coding (the NHG's ICPC, which Dutch GP systems and nl-core use, with
    subcodes such as T90.02); ``display`` (the HIS's title of the episode) when there is one."""
    coding = {"system": ICPC1NL_SYSTEM, "code": code}
    if display:
        coding["display"] = _SPACES.sub(" ", display).strip()[:ICPC_TITLE_MAX]
    return coding
