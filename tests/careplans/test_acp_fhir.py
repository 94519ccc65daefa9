"""The PZP as FHIR R4 (must-show 8): valid by HL7's R4 JSON schema and ``fhir.resources``,
every field of the national form in a named element, exported to the HIS idempotently or
downloaded, and logged."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from careplans.acp_fhir import FIELD_MAP, acp_bundle, acp_resources
from careplans.acp_his import acp_note_build
from careplans.acp_selectors import field_value, shared_with_names
from careplans.models import ACP_FIELDS, AcpVersion
from his.models import HisEndpoint, HisExport
from network.models import AccessAction, AccessLogEntry
from tests.careplans.acp_helpers import record
from tests.fhir.receiver import FhirServer
from tests.fhir.validation import assert_valid_r4

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(gp, nurse, shared_patient):
    record(gp, shared_patient, shared_with_users=[nurse])
    return AcpVersion.objects.select_related("plan", "created_by", "organisation").get()


def _element(resource, path: str):
    value = resource
    for part in path.split("."):
        value = value[int(part)] if part.isdigit() else value[part]
    return value


def _expected(version, field) -> str:
    if field == "shared_with":
        return shared_with_names(version)[0]
    if field == "present":
        return version.present[0]["name"]
    if field in ("consent_gp_emergency", "consent_network"):
        return {"consent_gp_emergency": "Huisarts", "consent_network": "Zorgnetwerk"}[field]
    if field == "conversation_date":
        return version.conversation_date.isoformat()
    if field in (
        "resuscitation",
        "ventilation",
        "icu",
        "hospital",
        "antibiotics",
        "blood_products",
        "other",
    ):
        return {"do": "permit", "dont": "deny", "other": "permit"}.get(getattr(version, field), "")
    if field == "icd_present":
        return "active"
    if field == "capacity":
        return str(version.capacity == "capable")
    if field in ("icd_agreement",):
        return field_value(version, field)
    return field_value(version, field)


def test_every_national_form_field_lands_in_a_named_fhir_element(version, shared_patient):
    assert set(FIELD_MAP) == {*ACP_FIELDS, "shared_with"}
    resources = {
        name: resource
        for name, (_key, resource) in acp_resources(patient=shared_patient, version=version).items()
    }
    missing = []
    for field, (name, path) in FIELD_MAP.items():
        expected = _expected(version, field)
        if field == "blood_products":  # "unknown": a proposed directive without a type
            assert resources[name]["status"] == "proposed"
            continue
        try:
            found = str(_element(resources[name], path))
        except (KeyError, IndexError) as exc:
            missing.append(f"{field}: {name}.{path} missing ({exc})")
            continue
        if expected and expected not in found:
            missing.append(f"{field}: {name}.{path} = {found!r}, expected {expected!r}")
    assert missing == [], "\n".join(missing)


def test_the_bundle_is_valid_r4_with_the_iknl_profiles(version, shared_patient):
    bundle = acp_bundle(patient=shared_patient, version=version, note=acp_note_build(version))
    assert_valid_r4(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    for kind in (
        "Encounter",
        "Consent",
        "Goal",
        "Observation",
        "RelatedPerson",
        "DeviceUseStatement",
        "Communication",
    ):
        assert kind in kinds, kind
    profiles = {
        p for e in bundle["entry"] for p in e["resource"].get("meta", {}).get("profile", [])
    }
    for profile in (
        "ACP-Encounter",
        "ACP-TreatmentDirective",
        "ACP-AdvanceDirective",
        "ACP-MedicalPolicyGoal",
        "ACP-ContactPerson",
        "ACP-MedicalDevice",
        "ACP-MedicalDevice.Product-ICD",
        "ACP-LegallyCapable",
        "ACP-PreferredPlaceOfDeath",
        "ACP-PositionRegardingEuthanasia",
    ):
        assert f"https://fhir.iknl.nl/fhir/StructureDefinition/{profile}" in profiles, profile
    resuscitation = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Consent"
        and e["resource"]["provision"].get("code", [{}])[0].get("coding", [{}])[0].get("code")
        == "89666000"
    )
    assert resuscitation["provision"]["type"] == "deny"
    # Conditional updates on our identifier: a second export lands on the same resources.
    again = acp_bundle(patient=shared_patient, version=version, note=acp_note_build(version))
    urls = [e["request"]["url"] for e in bundle["entry"][4:-1]]
    assert urls == [e["request"]["url"] for e in again["entry"][4:-1]]
    assert all("identifier=" in url for url in urls)


def test_the_soep_note_has_the_limits_and_icpc_a99_and_a20(version):
    note = acp_note_build(version)
    assert note.startswith("S: Proactieve zorgplanning (PZP), gesprek van 20-11-2026")
    assert "E: A99 Proactieve zorgplanning; A20 Euthanasie verzoek/gesprek" in note
    assert "   Reanimatie: Niet uitvoeren (Niet reanimeren, besproken met dochter)" in note


def test_practice_exports_to_the_his_or_downloads_and_each_is_logged(
    secure_client, gp, nurse, shared_patient, version, committing, monkeypatch
):
    client = secure_client(gp)
    # No HIS connection: the note is kept to download.
    client.post(reverse("careplans:acp-his", args=[shared_patient.pk]))
    export = HisExport.objects.get()
    assert export.icpc_code == "A99" and export.status == "pending"
    assert_valid_r4(export.fhir_json)
    note = client.get(reverse("careplans:acp-his-download", args=[shared_patient.pk, export.pk]))
    assert "Reanimatie: Niet uitvoeren" in note.content.decode()
    fhir = client.get(reverse("careplans:acp-fhir", args=[shared_patient.pk]))
    assert_valid_r4(json.loads(fhir.content))
    exports = AccessLogEntry.objects.filter(
        user=gp, patient=shared_patient, action=AccessAction.EXPORT
    )
    assert exports.count() == 3
    assert set(exports.values_list("relationship", flat=True)) == {"own_practice"}
    # With a HIS connection the delivery is queued, with its idempotency key.
    HisEndpoint.objects.create(
        practice=shared_patient.practice, url="https://his.example/fhir", token="t"
    )
    sent = []
    monkeypatch.setattr("his.tasks.his_export_deliver_task.delay", lambda pk: sent.append(pk))
    with committing():
        client.post(reverse("careplans:acp-his", args=[shared_patient.pk]))
    assert sent == [HisExport.objects.latest("pk").pk]
    # A reader may not export.
    nurse_client = secure_client(nurse, client=Client())
    assert (
        nurse_client.post(reverse("careplans:acp-his", args=[shared_patient.pk])).status_code == 403
    )
    assert (
        nurse_client.get(reverse("careplans:acp-fhir", args=[shared_patient.pk])).status_code == 403
    )


def _consent_for(server, snomed: str) -> dict:
    [found] = [
        c
        for c in server.all("Consent")
        if c["provision"].get("code", [{}])[0].get("coding", [{}])[0].get("code") == snomed
    ]
    return found


def test_a_receiver_applies_it_and_a_newer_version_updates_the_same_resources(
    gp, nurse, shared_patient, version
):
    """Against the test FHIR server (the transaction rules of the specification): the second
    export, of version 2 in which the patient now wants resuscitation, changes the resuscitation
    Consent in place — the HIS never holds two contradicting directives for one treatment."""
    server = FhirServer()
    first = acp_bundle(patient=shared_patient, version=version, note=acp_note_build(version))
    server.transaction(first)
    counts = {kind: len(server.all(kind)) for kind in ("Consent", "Goal", "Observation")}
    assert _consent_for(server, "89666000")["provision"]["type"] == "deny"
    # The same version again (a retried delivery) adds nothing but its journal note.
    server.transaction(first)
    assert {kind: len(server.all(kind)) for kind in counts} == counts
    assert len(server.all("Patient")) == 1 and len(server.all("Encounter")) == 1

    record(gp, shared_patient, shared_with_users=[nurse], resuscitation="do")
    second = AcpVersion.objects.select_related("plan", "created_by", "organisation").latest(
        "number"
    )
    assert second.number == 2
    server.transaction(
        acp_bundle(patient=shared_patient, version=second, note=acp_note_build(second))
    )
    assert {kind: len(server.all(kind)) for kind in counts} == counts
    resuscitation = _consent_for(server, "89666000")
    assert resuscitation["provision"]["type"] == "permit"
    assert resuscitation["meta"]["versionId"] == "3"
    assert len(server.all("Communication")) == 2  # one journal note per version exported
