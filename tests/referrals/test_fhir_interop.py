"""Issue 14: what Regiozorg sends holds against a real receiving system.

Thuiszorg Friesland's system is ``tests.fhir.receiver``: a FHIR server over real HTTP on
127.0.0.1 that applies transactions as the FHIR specification says (conditional create and
update, urn:uuid references rewritten, all or nothing). Every output is checked against the
official R4 JSON schema and the strict ``fhir.resources`` models (``tests.fhir.validation``).
"""

from __future__ import annotations

import uuid as uuid_module

import pytest
from django.test import override_settings

from accounts.models import OrganisationKind
from conversations.services.his import his_export_create
from his.fhir import (
    AGB_SYSTEM,
    EN_QUALIFIER_URL,
    ORGANIZATION_PROFILE,
    PATIENT_PROFILE,
    PRACTITIONER_PROFILE,
    PRACTITIONER_ROLE_PROFILE,
    PROBLEM_PROFILE,
    URA_SYSTEM,
    UZI_SYSTEM,
)
from network.fhir import BSN_SYSTEM, ICPC1NL_SYSTEM, OWN_NAME_URL, OWN_PREFIX_URL
from network.models import AuthorisationRule
from referrals.fhir import referral_bundle
from referrals.his import feedback_his_export_create
from referrals.models import Feedback, ReferralDelivery, ReferralEndpoint
from referrals.services import feedback_add, referral_transition
from tests.conversations.conftest import actor_for
from tests.conversations.test_his_export import conversation  # noqa: F401  (fixture)
from tests.factories import EpisodeFactory
from tests.fhir.receiver import FhirServer, TransactionError, serve
from tests.fhir.validation import assert_valid_r4, schema_errors
from tests.referrals.conftest import refer
from tests.referrals.test_attachments import letter_pdf

pytestmark = pytest.mark.django_db

SYSTEM_FRIESLAND = "urn:oid:2.16.528.1.1007.3.3.1234567.1"
SYSTEM_GRONINGEN = "https://regiozorg-groningen.example/fhir/NamingSystem/id"


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


@pytest.fixture
def server():
    fhir = FhirServer()
    stop = serve(fhir)
    yield fhir
    stop()


@pytest.fixture
def receiver(server, nursing):
    """Thuiszorg Friesland's system takes referrals; the matrix shows it who the patient is."""
    rule = AuthorisationRule.objects.get(organisation_kind=OrganisationKind.DISTRICT_NURSING)
    rule.identity = rule.episodes = True
    rule.save()
    nursing.ura_number = "30001234"
    nursing.save()
    return ReferralEndpoint.objects.create(organisation=nursing, url=server.url, token="t" * 20)


def kinds(server: FhirServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, _ in server.store:
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def resources(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def entry_of(bundle: dict, kind: str) -> dict:
    return next(e for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


# --- Idempotent delivery ------------------------------------------------------------------------


def test_send_accept_close_and_a_resend_leave_one_patient_one_request_and_one_task(
    gp, nurse, patient, nursing, receiver, server, committing
):
    with committing():
        referral = refer(gp, patient, nursing, files=[letter_pdf()])
    [task] = server.all("Task")
    assert task["status"] == "requested"

    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    with committing():
        referral_transition(actor=actor_for(gp), referral=referral, action="close")

    assert [d.status for d in ReferralDelivery.objects.order_by("pk")] == ["sent", "sent"]
    counts = kinds(server)
    assert (counts["Patient"], counts["ServiceRequest"], counts["Task"]) == (1, 1, 1)
    assert counts["DocumentReference"] == 1
    [task] = server.all("Task")
    [request] = server.all("ServiceRequest")
    assert (task["status"], task["meta"]["versionId"]) == ("completed", "2")
    assert request["status"] == "completed"
    # The references point at the receiver's own resources, not at our urn:uuids.
    assert task["focus"]["reference"] == f"ServiceRequest/{request['id']}"
    assert server.resolve(request["subject"]["reference"])["birthDate"] == "1941-03-14"
    assert server.resolve(request["requester"]["reference"])["resourceType"] == "PractitionerRole"

    # A resend of the same step (a repeated task, a second download posted by hand) changes
    # nothing at the receiver.
    referral.refresh_from_db()
    server.transaction(referral_bundle(referral))
    assert kinds(server) == counts
    assert server.all("Task")[0]["status"] == "completed"


def test_an_older_step_that_goes_out_late_does_not_set_the_receivers_task_back(
    gp, nurse, patient, nursing, receiver, server, committing
):
    """The send's delivery is still waiting (the receiver was away, Celery retries later)
    when the close goes through: the late send is not posted, and cannot be retried."""
    from django.core.exceptions import ValidationError

    from referrals.delivery import referral_deliver, referral_delivery_retry

    referral = refer(gp, patient, nursing)  # not committed: its delivery waits
    [late] = ReferralDelivery.objects.all()
    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    with committing():
        referral_transition(actor=actor_for(gp), referral=referral, action="close")
    assert server.all("Task")[0]["status"] == "completed"

    late = referral_deliver(delivery_id=late.pk)

    assert server.all("Task")[0]["status"] == "completed"
    assert len(server.all("Task")) == 1
    assert (late.status, late.last_error) == (
        "failed",
        "Niet verstuurd: een latere stap van deze verwijzing is in de plaats gegaan.",
    )
    with pytest.raises(ValidationError):
        referral_delivery_retry(actor=actor_for(gp), referral=referral, pk=late.pk)


def test_cancelling_updates_the_same_task_to_cancelled(
    gp, patient, nursing, receiver, server, committing
):
    with committing():
        referral = refer(gp, patient, nursing)
    with committing():
        referral_transition(actor=actor_for(gp), referral=referral, action="cancel")

    counts = kinds(server)
    assert (counts["Patient"], counts["ServiceRequest"], counts["Task"]) == (1, 1, 1)
    assert server.all("Task")[0]["status"] == "cancelled"
    assert server.all("ServiceRequest")[0]["status"] == "revoked"


def test_a_second_referral_of_the_same_patient_finds_the_known_patient_and_organisations(
    gp, patient, nursing, receiver, server, committing
):
    with committing():
        first = refer(gp, patient, nursing)
        second = refer(gp, patient, nursing, question="Ook steunkousen aanmeten.")

    counts = kinds(server)
    assert (counts["Patient"], counts["ServiceRequest"], counts["Task"]) == (1, 2, 2)
    assert counts["Organization"] == 2  # the practice and Thuiszorg Friesland, once each
    values = {r["identifier"][0]["value"] for r in server.all("ServiceRequest")}
    assert values == {str(first.uuid), str(second.uuid)}


def test_two_installations_refer_the_same_patient_and_keep_their_referrals_apart(
    gp, patient, practice, nursing, receiver, server, committing
):
    with override_settings(FHIR_IDENTIFIER_SYSTEM=SYSTEM_FRIESLAND), committing():
        friesland = refer(gp, patient, nursing)
    # The other region's installation: its own database, so its own UUIDs for the same
    # patient, practice, GP and receiver, and its own naming system.
    for row in (patient, practice, gp, nursing):
        type(row).objects.filter(pk=row.pk).update(uuid=uuid_module.uuid4())
        row.refresh_from_db()
    with override_settings(FHIR_IDENTIFIER_SYSTEM=SYSTEM_GRONINGEN), committing():
        groningen = refer(gp, patient, nursing)

    counts = kinds(server)
    assert counts["Patient"] == 1  # matched by BSN
    assert (counts["ServiceRequest"], counts["Task"]) == (2, 2)
    assert counts["Organization"] == 2  # receiver by URA, practice by AGB
    identifiers = {
        (i["system"], i["value"]) for r in server.all("ServiceRequest") for i in r["identifier"]
    }
    assert identifiers == {
        (SYSTEM_FRIESLAND, str(friesland.uuid)),
        (SYSTEM_GRONINGEN, str(groningen.uuid)),
    }
    [stored] = server.all("Patient")
    assert {"system": BSN_SYSTEM, "value": patient.bsn} in stored["identifier"]
    tasks = server.all("Task")
    assert len({t["focus"]["reference"] for t in tasks}) == 2


# --- The receiver itself ----------------------------------------------------------------------


def test_the_receiver_refuses_an_ambiguous_match_and_keeps_nothing_of_a_failed_transaction(
    server,
):
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": BSN_SYSTEM, "value": "999999990"}],
    }
    for _ in range(2):
        server.transaction(
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [{"resource": patient, "request": {"method": "POST", "url": "Patient"}}],
            }
        )
    ambiguous = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:0b7c1a52-9f7e-4a55-b5a4-5d8d1d0b0c01",
                "resource": {"resourceType": "Organization", "name": "X"},
                "request": {"method": "POST", "url": "Organization"},
            },
            {
                "resource": patient,
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": f"identifier={BSN_SYSTEM}|999999990",
                },
            },
        ],
    }
    with pytest.raises(TransactionError) as refused:
        server.transaction(ambiguous)
    assert refused.value.status == 412
    assert kinds(server) == {"Patient": 2}  # the Organization of the failed one is not kept


# --- Dutch core profiles, checked --------------------------------------------------------------


def test_the_referral_bundle_follows_nl_core_and_passes_the_r4_schema(
    gp, nurse, patient, nursing, team_noord, receiver
):
    gp.agb_code, gp.uzi_number, gp.initials = "01099999", "900012345", "G.J."
    gp.save()
    EpisodeFactory(patient=patient, icpc_code="T90.02", title="Diabetes mellitus type 2")
    referral = refer(gp, patient, nursing, team=team_noord, files=[letter_pdf()])

    bundle = referral_bundle(referral)

    assert_valid_r4(bundle)
    found = resources(bundle)
    [person] = found["Patient"]
    assert person["meta"]["profile"] == [PATIENT_PROFILE]
    [name] = person["name"]
    assert (name["family"], name["given"]) == ("van der Meer", ["Geertje", "G."])
    assert name["_family"]["extension"] == [
        {"url": OWN_PREFIX_URL, "valueString": "van der"},
        {"url": OWN_NAME_URL, "valueString": "Meer"},
    ]
    assert [g["extension"][0] for g in name["_given"]] == [
        {"url": EN_QUALIFIER_URL, "valueCode": "CL"},
        {"url": EN_QUALIFIER_URL, "valueCode": "IN"},
    ]
    [condition] = found["Condition"]
    assert condition["meta"]["profile"] == [PROBLEM_PROFILE]
    assert condition["code"]["coding"] == [
        {"system": ICPC1NL_SYSTEM, "code": "T90.02", "display": "Diabetes mellitus type 2"}
    ]
    [practitioner] = found["Practitioner"]
    assert practitioner["meta"]["profile"] == [PRACTITIONER_PROFILE]
    assert {"system": UZI_SYSTEM, "value": "900012345"} in practitioner["identifier"]
    assert {"system": AGB_SYSTEM, "value": "01099999"} in practitioner["identifier"]
    assert practitioner["name"][0]["given"] == ["Gerrit", "G.", "J."]
    [role] = found["PractitionerRole"]
    assert role["meta"]["profile"] == [PRACTITIONER_ROLE_PROFILE]
    organisations = {o["name"]: o for o in found["Organization"]}
    assert {o["meta"]["profile"][0] for o in organisations.values()} == {ORGANIZATION_PROFILE}
    assert {"system": URA_SYSTEM, "value": "30001234"} in organisations["Thuiszorg Friesland"][
        "identifier"
    ]
    team = organisations["Team Noord"]
    assert team["partOf"]["reference"] == f"urn:uuid:{nursing.uuid}"
    [request] = found["ServiceRequest"]
    [task] = found["Task"]
    assert request["performer"][0]["reference"] == f"urn:uuid:{team_noord.uuid}"
    assert task["owner"]["reference"] == f"urn:uuid:{team_noord.uuid}"
    assert request["requester"]["reference"] == entry_of(bundle, "PractitionerRole")["fullUrl"]
    assert request["category"][0]["coding"][0]["code"] == "3457005"
    assert request["code"]["text"]
    [document] = found["DocumentReference"]
    assert document["type"]["coding"][0]["code"] == "57133-1"
    # No database numbers: ids and fullUrls come from the stored UUIDs.
    assert bundle["id"] != str(referral.pk)
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    assert entry_of(bundle, "Patient")["request"] == {
        "method": "POST",
        "url": "Patient",
        "ifNoneExist": f"identifier={BSN_SYSTEM}|{patient.bsn}",
    }
    assert entry_of(bundle, "Task")["request"]["method"] == "PUT"


def test_the_schema_check_catches_what_fhir_resources_would_let_through():
    """The schema is stricter than the R4B models on R4: a wrong code of a required binding."""
    assert schema_errors({"resourceType": "Patient", "gender": "vrouw"})


def test_feedback_is_a_communication_from_the_nurse_to_the_practice_on_the_referral(
    gp, nurse, patient, nursing, practice, receiver
):
    EpisodeFactory(patient=patient, icpc_code="K77", title="Decompensatio cordis")
    referral = refer(gp, patient, nursing)
    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    feedback = feedback_add(
        actor=actor_for(nurse),
        referral=referral,
        kind=Feedback.Kind.START,
        findings="Oedeem beide enkels.",
        conclusion="Hartfalen, stabiel.",
        treatment_plan="Dagelijks wegen.",
    )

    export = feedback_his_export_create(actor=actor_for(gp), feedback=feedback, icpc_code="k77")

    communication = export.fhir_json
    assert_valid_r4(communication)
    assert "E: K77 Decompensatio cordis\n  Hartfalen, stabiel." in export.note_text
    contained = {r["id"]: r for r in communication["contained"]}
    assert communication["sender"]["reference"] == "#author-role"
    role = contained["author-role"]
    assert role["practitioner"]["reference"] == "#author"
    assert role["organization"]["reference"] == "#author-organization"
    assert contained["author"]["name"][0]["family"] == "Wiersma"
    assert contained["author-organization"]["name"] == "Thuiszorg Friesland"
    assert communication["recipient"] == [{"reference": "#practice", "display": practice.name}]
    assert contained["practice"]["identifier"][0] == {"system": AGB_SYSTEM, "value": "01012345"}
    [based_on] = communication["basedOn"]
    assert based_on["type"] == "ServiceRequest"
    request = entry_of(referral_bundle(referral), "ServiceRequest")["resource"]
    assert based_on["identifier"] == request["identifier"][0]
    assert communication["reasonCode"][0]["coding"] == [
        {"system": ICPC1NL_SYSTEM, "code": "K77", "display": "Decompensatio cordis"}
    ]
    assert contained["patient"]["name"][0]["_family"]["extension"][0]["valueString"] == "van der"


def test_the_conversation_export_passes_the_r4_schema_with_icpc_1_nl(
    conversation,  # noqa: F811  (the fixture)
    gp,
    shared_patient,
):
    EpisodeFactory(patient=shared_patient, icpc_code="T90.02", title="Diabetes mellitus type 2")

    export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="t90.02")

    communication = export.fhir_json
    assert_valid_r4(communication)
    assert communication["reasonCode"][0]["coding"][0]["system"] == ICPC1NL_SYSTEM
    assert "E: T90.02 Diabetes mellitus type 2" in export.note_text
    [patient] = [r for r in communication["contained"] if r["resourceType"] == "Patient"]
    assert patient["meta"]["profile"] == [PATIENT_PROFILE]
    assert patient["name"][0]["family"] == "Dijkstra"
