"""The health-plan page as the care network uses it: read, add, change, mark done, history;
bad input changes nothing; who may not see the patient gets 404; every read is logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from careplans.models import Action, Goal, HealthPlan, PlanChange, Problem
from network.models import AccessLogEntry
from tests.careplans.conftest import membership, plan_with

pytestmark = pytest.mark.django_db


def plan_url(patient) -> str:
    return reverse("healthplan:plan", args=[patient.pk])


def test_nurse_reads_the_plan_and_the_read_is_logged_as_care_network(
    login, nurse, shared_patient, plan
):
    response = login(nurse).get(plan_url(shared_patient))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Gezondheidsplan" in page and "COPD" in page and "R95" in page
    assert "Doel 0" in page and "Actie 0.0" in page and "Zelf boodschappen doen" in page
    assert "Streefwaarde" in page and "100 m" in page
    # The action is overdue (due 1 January 2026, before today): marked; so is the goal whose
    # evaluation date (1 June 2026) has passed.
    assert "te laat" in page
    assert "evaluatie nodig" in page
    entry = AccessLogEntry.objects.filter(user=nurse, patient=shared_patient).latest("id")
    assert (entry.action, entry.relationship, entry.object_ref) == (
        "read",
        "care_network",
        "health_plan",
    )


def test_the_patient_page_has_a_health_plan_tab(login, nurse, shared_patient):
    page = login(nurse).get(reverse("network:patient-detail", args=[shared_patient.pk]))
    assert f'href="{plan_url(shared_patient)}"' in page.content.decode()
    assert "Gezondheidsplan" in page.content.decode()


@pytest.mark.parametrize("who", ["physio", "outsider"])
def test_someone_outside_the_care_network_gets_404(request, login, who, shared_patient, plan):
    user = request.getfixturevalue(who)
    client = login(user)
    assert client.get(plan_url(shared_patient)).status_code == 404
    _problem, [action] = plan
    response = client.post(
        reverse("healthplan:action-status", args=[shared_patient.pk, action.pk]),
        {"status": "done"},
    )
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == "open"


def test_nurse_adds_a_goal_and_an_action_for_the_physio_without_javascript(
    login, nurse, physio_in_network, shared_patient, plan
):
    problem, _actions = plan
    client = login(nurse)
    response = client.post(
        reverse("healthplan:goal-create", args=[shared_patient.pk, problem.pk]),
        {
            "description": "Zelfstandig traplopen",
            "what_matters": "Naar boven om te slapen",
            "target_value": "1 trap zonder rust",
            "evaluation_date": "2026-04-01",
        },
    )
    goal = Goal.objects.get(description="Zelfstandig traplopen")
    assert response.status_code == 302
    assert response["Location"] == f"{plan_url(shared_patient)}#goal-{goal.pk}"
    response = client.post(
        reverse("healthplan:action-create", args=[shared_patient.pk, goal.pk]),
        {
            "description": "Traptraining",
            "owner": membership(physio_in_network).pk,
            "due_date": "2026-03-01",
        },
    )
    action = Action.objects.get(description="Traptraining")
    assert response.status_code == 302 and action.owner.user == physio_in_network
    page = client.get(plan_url(shared_patient)).content.decode()
    assert "Traptraining" in page and "Foppe Hiemstra (Fysio Centrum)" in page
    # The history names who added what.
    assert "Geschiedenis van wijzigingen" in page
    assert "Actie toegevoegd: “Traptraining”" in page


def test_an_action_for_someone_outside_the_network_is_refused_in_dutch(
    login, nurse, physio, shared_patient, plan
):
    _problem, [existing] = plan
    before = Action.objects.count(), PlanChange.objects.count()
    response = login(nurse).post(
        reverse("healthplan:action-create", args=[shared_patient.pk, existing.goal_id]),
        {"description": "Looptraining", "owner": membership(physio).pk, "due_date": ""},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Kies iemand uit het zorgnetwerk van deze patiënt" in page
    assert "Er is nog niets opgeslagen." in page
    assert (Action.objects.count(), PlanChange.objects.count()) == before


def test_a_goal_without_a_description_is_refused_and_nothing_is_stored(
    login, nurse, shared_patient, plan
):
    problem, _ = plan
    response = login(nurse).post(
        reverse("healthplan:goal-create", args=[shared_patient.pk, problem.pk]),
        {"description": "", "evaluation_date": "31-02-2026"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Dit veld is verplicht." in page
    assert Goal.objects.count() == 1


def test_the_second_of_two_editors_is_told_and_the_first_change_stays(
    login, gp, nurse, shared_patient, plan
):
    _problem, [action] = plan
    url = reverse("healthplan:action-edit", args=[shared_patient.pk, action.pk])
    form = {
        "version": "1",
        "description": "Actie 0.0",
        "owner": membership(nurse).pk,
        "due_date": "2026-01-01",
        "status": "open",
    }
    assert login(gp).post(url, {**form, "due_date": "2026-05-01"}).status_code == 302
    response = login(nurse).post(url, {**form, "description": "Wondzorg dagelijks"})
    assert response.status_code == 422
    assert "Iemand anders heeft dit intussen gewijzigd" in response.content.decode()
    action.refresh_from_db()
    assert action.description == "Actie 0.0" and str(action.due_date) == "2026-05-01"
    # The form now carries the current version: saving again works.
    assert 'name="version" value="2"' in response.content.decode()


def test_marking_an_action_done_from_the_plan(login, nurse, shared_patient, plan):
    _problem, [action] = plan
    response = login(nurse).post(
        reverse("healthplan:action-status", args=[shared_patient.pk, action.pk]),
        {"status": "done"},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.done_by == nurse
    page = login(nurse).get(plan_url(shared_patient)).content.decode()
    assert "te laat" not in page  # a done action is never overdue


def test_an_empty_plan_invites_a_first_problem_and_reading_makes_no_plan(
    login, nurse, shared_patient
):
    page = login(nurse).get(plan_url(shared_patient)).content.decode()
    assert "Er is nog geen gezondheidsplan" in page
    assert not HealthPlan.objects.exists()
    response = login(nurse).post(
        reverse("healthplan:problem-create", args=[shared_patient.pk]),
        {"title": "Valgevaar", "icpc_code": "e11"},
    )
    assert response.status_code == 422
    assert "ICPC-code" in response.content.decode()
    assert not Problem.objects.exists()


def test_a_part_of_another_patients_plan_is_404(login, gp, nurse, patient, shared_patient):
    _problem, [action] = plan_with(gp, patient)  # the nurse may not see this patient
    response = login(nurse).get(
        reverse("healthplan:action-edit", args=[shared_patient.pk, action.pk])
    )
    assert response.status_code == 404


def test_an_action_whose_owner_left_the_network_can_still_be_changed_but_not_handed_back(
    login, nurse, physio_in_network, shared_patient
):
    from django.utils import timezone

    _problem, [action] = plan_with(nurse, shared_patient, owner=membership(physio_in_network))
    shared_patient.network.filter(user=physio_in_network).update(ended_at=timezone.now())
    url = reverse("healthplan:action-edit", args=[shared_patient.pk, action.pk])
    form = {
        "version": "1",
        "description": "Actie 0.0",
        "owner": membership(physio_in_network).pk,
        "due_date": "2026-09-01",
        "status": "cancelled",
    }
    response = login(nurse).post(url, form)
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "cancelled" and str(action.due_date) == "2026-09-01"
    # A new action for him is refused: he is no longer in the network.
    response = login(nurse).post(
        reverse("healthplan:action-create", args=[shared_patient.pk, action.goal_id]),
        {"description": "Nog een", "owner": membership(physio_in_network).pk},
    )
    assert response.status_code == 422
    assert Action.objects.count() == 1


def test_with_htmx_marking_done_swaps_only_the_row_and_it_can_be_opened_again(
    login, nurse, shared_patient, plan
):
    _problem, [action] = plan
    url = reverse("healthplan:action-status", args=[shared_patient.pk, action.pk])
    client = login(nurse)
    response = client.post(url, {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    row = response.content.decode()
    assert (
        row.strip().startswith('<li class="list-group-item') and f'id="action-{action.pk}"' in row
    )
    assert "<html" not in row and "klaar" in row and "Opnieuw openen" in row
    assert "te laat" not in row
    response = client.post(url, {"status": "open"}, HTTP_HX_REQUEST="true")
    assert "te laat" in response.content.decode()  # open again, and still overdue
    action.refresh_from_db()
    assert action.status == "open" and action.done_at is None


def test_the_patient_overview_sums_up_the_plan_with_overdue_actions(
    login, nurse, shared_patient, plan
):
    page = login(nurse).get(reverse("network:patient-detail", args=[shared_patient.pk]))
    summary = page.content.decode().split('id="health-plan-summary"')[1].split("</section>")[0]
    assert "1 doel in uitvoering" in summary and "1 open actie" in summary
    assert "1 te laat" in summary
    assert plan_url(shared_patient) in summary


def test_changing_a_problem_shows_in_the_history_in_dutch_words(login, nurse, shared_patient, plan):
    problem, _ = plan
    client = login(nurse)
    url = reverse("healthplan:problem-edit", args=[shared_patient.pk, problem.pk])
    form = client.get(url)
    assert 'value="COPD"' in form.content.decode()
    entry = AccessLogEntry.objects.filter(user=nurse).latest("id")
    assert (entry.action, entry.object_ref) == ("read", "health_plan:problem")
    response = client.post(
        url, {"version": "1", "title": "COPD", "icpc_code": "R95", "status": "resolved"}
    )
    assert response.status_code == 302
    page = client.get(plan_url(shared_patient)).content.decode()
    assert "Probleem gewijzigd: “COPD”" in page
    assert "Status: actueel → afgesloten" in page


def test_each_reader_is_logged_with_their_own_relationship(login, gp, nurse, patient, nursing):
    """The practice reads as its own practice; the nurse, whom the practice referred the
    (not visible) patient to, reads through the open referral."""
    from tests.referrals.conftest import refer

    plan_with(gp, patient)
    refer(gp, patient, nursing)
    for user, relationship in ((gp, "own_practice"), (nurse, "referral")):
        assert login(user).get(plan_url(patient)).status_code == 200
        entry = AccessLogEntry.objects.filter(user=user, patient=patient).latest("id")
        assert (entry.action, entry.relationship, entry.data) == (
            "read",
            relationship,
            "identity,health_plan",
        )
