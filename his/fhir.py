"""FHIR pieces every resource we send is built from: the naming systems, the Organization and
the Patient's identifiers, and ICPC-2 coding. What each app sends (a Communication of a
conversation, a referral's Bundle) is built in ``his.builders`` or by the app itself from these.

The naming systems a HIS extraction is read with live in ``network.fhir`` (the floor below);
they are the same systems, so they are taken from there.
"""

from __future__ import annotations

from network.fhir import BSN_SYSTEM, HIS_PATIENT_SYSTEM, ICPC2_SYSTEM

__all__ = [
    "AGB_SYSTEM",
    "BSN_SYSTEM",
    "HIS_PATIENT_SYSTEM",
    "ICPC2_SYSTEM",
    "URI_SYSTEM",
    "icpc_coding",
    "organization_resource",
    "patient_identifiers",
]

AGB_SYSTEM = "http://fhir.nl/fhir/NamingSystem/agb-z"
URI_SYSTEM = "urn:ietf:rfc:3986"


def patient_identifiers(*, bsn: str = "", his_id: str = "") -> list[dict]:
    """The patient's identifiers, BSN first: a reference holds one identifier, and the BSN is
    the one every Dutch system knows; the HIS number serves the patient's own practice."""
    identifiers = []
    if bsn:
        identifiers.append({"system": BSN_SYSTEM, "value": bsn})
    if his_id:
        identifiers.append({"system": HIS_PATIENT_SYSTEM, "value": his_id})
    return identifiers


def organization_resource(organisation, local_id: str) -> dict:
    """An Organization (name, AGB code when known) with a local id within its Bundle."""
    resource = {"resourceType": "Organization", "id": local_id, "name": organisation.name}
    if organisation.agb_code:
        resource["identifier"] = [{"system": AGB_SYSTEM, "value": organisation.agb_code}]
    return resource


def icpc_coding(code: str, display: str | None = None) -> dict:
    """One ICPC-2 coding; ``display`` (the HIS's title of the episode) when there is one."""
    coding = {"system": ICPC2_SYSTEM, "code": code}
    if display is not None:
        coding["display"] = display
    return coding
