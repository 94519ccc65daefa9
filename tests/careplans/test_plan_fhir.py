"""The health plan for the HIS: a FHIR R4 transaction Bundle (CarePlan, Goals, the actions as
CarePlan.activity, the problems as Conditions) valid by the R4 JSON schema and
``fhir.resources``, applied by a real FHIR server, updated (not duplicated) by a second
export; delivered with its idempotency key, or downloaded as a note without a HIS."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from careplans.models import HealthPlan
from careplans.plan_fhir import plan_bundle, plan_his_export_create
from careplans.plan_selectors import plan_for_export
from careplans.plan_services import action_add, action_status_set, goal_add, problem_add
from his.fhir import ICPC1NL_SYSTEM, PROBLEM_PROFILE
from his.models import HisEndpoint, HisExport
from network.models import AccessLogEntry
from tests.careplans.conftest import access_of, membership
from tests.conversations.conftest import actor_for
from tests.conversations.test_his_export import TOKEN, his  # noqa: F401  (fixture)
from tests.fhir.receiver import FhirServer
from tests.fhir.validation import assert_valid_r4

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_plan(gp, nurse, physio_in_network, shared_patient):
    """A plan that uses every field: a coded problem, a goal with all its parts, two actions
    (one for the physio with a due date, one done by the nurse)."""
    actor, access = actor_for(nurse), access_of(nurse, shared_patient)
    problem = problem_add(actor=actor, access=access, title="COPD", icpc_code="R95")
    goal = goal_add(
        actor=actor,
        access=access,
        problem=problem,
        description="Zelfstandig naar de brievenbus lopen",
        what_matters="Zelf de post halen",
        target_value="100 m zonder rust",
        evaluation_date=datetime.date(2026, 3, 1),
    )
    walk = action_add(
        actor=actor,
        access=access,
        goal=goal,
        description="Looptraining 2x per week",
        owner=membership(physio_in_network),
        due_date=datetime.date(2026, 2, 1),
    )
    inhaler = action_add(
        actor=actor,
        access=access,
        goal=goal,
        description="Inhalatietechniek controleren",
        owner=membership(nurse),
    )
    action_status_set(actor=actor, access=access, action=inhaler, status="done")
    return problem, goal, walk, inhaler


def bundle_of(patient) -> dict:
    plan = HealthPlan.objects.get(patient=patient)
    access_patient = type("A", (), {"patient": patient})
    return plan_bundle(*plan_for_export(access=access_patient)) if plan else {}


def by_type(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_the_bundle_is_valid_r4(full_plan, shared_patient):
    bundle = bundle_of(shared_patient)
    assert bundle["type"] == "transaction"
    assert_valid_r4(bundle)
    kinds = by_type(bundle)
    assert len(kinds["CarePlan"]) == 1 and len(kinds["Goal"]) == 1
    assert len(kinds["Condition"]) == 1
    # The physio and the nurse, each as Practitioner with a PractitionerRole.
    assert len(kinds["PractitionerRole"]) == 2


# Every field of the plan, and the FHIR element it lands in (what a HIS builder reads).
FIELD_MAP = [
    ("problem.title", "Condition.code.text", "COPD"),
    ("problem.icpc_code", "Condition.code.coding[ICPC-1-NL].code", "R95"),
    ("problem.status", "Condition.clinicalStatus", "active"),
    ("goal.description", "Goal.description.text", "Zelfstandig naar de brievenbus lopen"),
    ("goal.what_matters", "Goal.note", "Wat de patiënt belangrijk vindt: Zelf de post halen"),
    ("goal.target_value", "Goal.target.detailString", "100 m zonder rust"),
    ("goal.evaluation_date", "Goal.target.dueDate", "2026-03-01"),
    ("goal.status", "Goal.lifecycleStatus / achievementStatus", "active / in-progress"),
    ("goal.problem", "Goal.addresses", "Condition"),
    ("action.description", "CarePlan.activity.detail.description", "Looptraining 2x per week"),
    ("action.owner", "CarePlan.activity.detail.performer", "Foppe Hiemstra (Fysio Centrum)"),
    ("action.due_date", "CarePlan.activity.detail.scheduledPeriod.end", "2026-02-01"),
    ("action.status", "CarePlan.activity.detail.status", "not-started / completed"),
    ("action.goal", "CarePlan.activity.detail.goal", "Goal"),
]


def test_each_field_of_the_plan_lands_in_its_fhir_element(full_plan, shared_patient):
    problem, goal, _walk, _inhaler = full_plan
    kinds = by_type(bundle_of(shared_patient))
    [condition], [fhir_goal], [care_plan] = kinds["Condition"], kinds["Goal"], kinds["CarePlan"]
    urls = {
        e["resource"]["resourceType"] + ":" + e["resource"]["identifier"][-1]["value"]: e["fullUrl"]
        for e in bundle_of(shared_patient)["entry"]
    }
    found = {
        "problem.title": condition["code"]["text"],
        "problem.icpc_code": next(
            c["code"] for c in condition["code"]["coding"] if c["system"] == ICPC1NL_SYSTEM
        ),
        "problem.status": condition["clinicalStatus"]["coding"][0]["code"],
        "goal.description": fhir_goal["description"]["text"],
        "goal.what_matters": fhir_goal["note"][0]["text"],
        "goal.target_value": fhir_goal["target"][0]["detailString"],
        "goal.evaluation_date": fhir_goal["target"][0]["dueDate"],
        "goal.status": f"{fhir_goal['lifecycleStatus']} / "
        f"{fhir_goal['achievementStatus']['coding'][0]['code']}",
        "goal.problem": "Condition"
        if fhir_goal["addresses"][0]["reference"] == urls[f"Condition:{problem.uuid}"]
        else "?",
        "action.description": care_plan["activity"][0]["detail"]["description"],
        "action.owner": care_plan["activity"][0]["detail"]["performer"][0]["display"],
        "action.due_date": care_plan["activity"][0]["detail"]["scheduledPeriod"]["end"],
        "action.status": " / ".join(a["detail"]["status"] for a in care_plan["activity"]),
        "action.goal": "Goal"
        if care_plan["activity"][0]["detail"]["goal"][0]["reference"] == urls[f"Goal:{goal.uuid}"]
        else "?",
    }
    assert {field: value for field, _element, value in FIELD_MAP} == found
    assert condition["meta"]["profile"] == [PROBLEM_PROFILE]
    assert care_plan["intent"] == "plan" and care_plan["subject"]["display"] == (
        shared_patient.formal_name
    )


def test_a_receiver_applies_it_and_a_second_export_updates_the_same_resources(
    full_plan, nurse, shared_patient
):
    _problem, _goal, walk, _inhaler = full_plan
    server = FhirServer()
    server.transaction(bundle_of(shared_patient))
    assert len(server.all("CarePlan")) == 1 and len(server.all("Goal")) == 1
    [care_plan] = server.all("CarePlan")
    assert care_plan["goal"][0]["reference"].startswith("Goal/")  # urn:uuid rewritten
    # The physio's action is done; the plan goes again.
    action_status_set(
        actor=actor_for(nurse), access=access_of(nurse, shared_patient), action=walk, status="done"
    )
    server.transaction(bundle_of(shared_patient))
    [care_plan] = server.all("CarePlan")
    assert care_plan["meta"]["versionId"] == "2"
    assert [a["detail"]["status"] for a in care_plan["activity"]] == ["completed", "completed"]
    assert len(server.all("Goal")) == 1 and len(server.all("Patient")) == 1
    assert len(server.all("Practitioner")) == 2


def test_the_practice_sends_the_plan_to_its_his_once_with_its_idempotency_key(
    login,
    gp,
    practice,
    shared_patient,
    full_plan,
    his,  # noqa: F811
    committing,
):
    HisEndpoint.objects.create(practice=practice, url=his.url, token=TOKEN)
    client = login(gp)
    url = reverse("healthplan:plan-his-export", args=[shared_patient.pk])
    with committing():
        assert client.post(url).status_code == 302
    export = HisExport.objects.get()
    assert export.status == "sent"
    [request] = his.requests
    assert request["headers"]["Idempotency-Key"] == str(export.idempotency_key)
    sent = json.loads(request["body"])
    assert_valid_r4(sent)
    assert by_type(sent)["CarePlan"][0]["title"] == "Gezondheidsplan"
    # A second click on an unchanged plan sends nothing new.
    with committing():
        client.post(url)
    assert HisExport.objects.count() == 1 and len(his.requests) == 1
    entry = AccessLogEntry.objects.filter(user=gp, action="export").latest("id")
    assert (entry.relationship, entry.data) == ("own_practice", "health_plan")
    page = client.get(reverse("healthplan:plan", args=[shared_patient.pk])).content.decode()
    assert "afgeleverd" in page


def test_without_a_his_the_practice_downloads_the_note(login, gp, shared_patient, full_plan):
    client = login(gp)
    client.post(reverse("healthplan:plan-his-export", args=[shared_patient.pk]))
    export = HisExport.objects.get()
    assert export.status == "pending"
    response = client.get(
        reverse("healthplan:plan-his-export-download", args=[shared_patient.pk, export.pk])
    )
    text = response.content.decode()
    assert text.startswith(f"Patiënt: {shared_patient.formal_name}")
    assert "S: Gezondheidsplan in Regiozorg" in text
    assert "Probleem: COPD (R95)" in text
    assert "streefwaarde 100 m zonder rust; evaluatie 01-03-2026" in text
    assert "Actie: Looptraining 2x per week – Foppe Hiemstra (Fysio Centrum), uiterlijk " in text
    assert "E: R95 COPD" in text
    assert AccessLogEntry.objects.filter(
        user=gp, action="export", object_ref=f"his_export:{export.pk}"
    ).exists()


def test_the_fhir_download_is_the_practices_and_is_logged(
    login, gp, nurse, shared_patient, full_plan
):
    url = reverse("healthplan:plan-fhir", args=[shared_patient.pk])
    response = login(gp).get(url)
    assert response["Content-Type"] == "application/fhir+json"
    assert_valid_r4(json.loads(response.content))
    assert AccessLogEntry.objects.filter(
        user=gp, action="export", data="identity,health_plan"
    ).exists()
    # The nurse reads and edits the plan, but exports to the practice's HIS are the practice's.
    assert login(nurse).get(url).status_code == 403
    refused = AccessLogEntry.objects.filter(user=nurse, outcome="denied").latest("id")
    assert (refused.action, refused.relationship) == ("export", "care_network")


def test_export_of_a_patient_without_a_plan_is_404(login, gp, shared_patient):
    assert (
        login(gp).get(reverse("healthplan:plan-fhir", args=[shared_patient.pk])).status_code == 404
    )
    assert not HisExport.objects.exists()


def test_a_plan_export_is_stored_with_the_plan_as_source(gp, shared_patient, full_plan):
    export = plan_his_export_create(actor=actor_for(gp), access=access_of(gp, shared_patient))
    assert export.source == HealthPlan.objects.get(patient=shared_patient)
    assert export.icpc_code == "R95"


def test_a_failed_plan_export_is_on_the_practices_start_page_with_a_link_to_the_plan(
    client, gp, shared_patient, full_plan
):
    export = plan_his_export_create(actor=actor_for(gp), access=access_of(gp, shared_patient))
    HisExport.objects.filter(pk=export.pk).update(
        status=HisExport.Status.FAILED, last_error="Het HIS antwoordde niet."
    )
    client.force_login(gp)
    blocks = {b.key: b for b in client.get(reverse("home")).context["blocks"]}
    [row] = blocks["his-failed"].rows
    assert row.title == "Terugkoppelen van gezondheidsplan naar het HIS mislukt"
    assert row.url == reverse("healthplan:plan", args=[shared_patient.pk])


def test_an_action_for_the_gp_names_the_practice_once(gp, nurse, shared_patient, full_plan):
    _problem, goal, _walk, _inhaler = full_plan
    action_add(
        actor=actor_for(gp),
        access=access_of(gp, shared_patient),
        goal=goal,
        description="Medicatie evalueren",
        owner=membership(gp),
    )
    bundle = bundle_of(shared_patient)
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    assert_valid_r4(bundle)
    server = FhirServer()
    server.transaction(bundle)
    assert len(server.all("Organization")) == 3  # the practice, the nursing, the physio
