"""The health plan's rules: the whole care network works on it, an action's owner comes from
the care network, every write is in the change log and the access log, and nobody silently
overwrites a colleague's change."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.models import Membership
from careplans.models import Action, Goal, HealthPlan, PlanChange, Problem
from careplans.plan_access import action_owners_for, plan_patient_get_for
from careplans.plan_services import (
    action_add,
    action_status_set,
    action_update,
    goal_add,
    goal_update,
    problem_add,
)
from network.access import patient_access_for
from network.models import AccessLogEntry
from tests.conversations.conftest import actor_for
from tests.factories import CareNetworkMemberFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def physio_in_network(physio, physio_practice, shared_patient):
    CareNetworkMemberFactory(patient=shared_patient, user=physio, organisation=physio_practice)
    return physio


def access_of(user, patient):
    return patient_access_for(actor=actor_for(user), pk=patient.pk)


def membership(user):
    return Membership.objects.select_related("user", "organisation").get(user=user)


def a_goal(user, patient, **more):
    access = access_of(user, patient)
    problem = problem_add(actor=actor_for(user), access=access, title="Kortademig bij lopen")
    return goal_add(
        actor=actor_for(user),
        access=access,
        problem=problem,
        description="Zelfstandig naar de brievenbus lopen",
        what_matters="Zelf de post halen",
        target_value="100 m zonder rust",
        evaluation_date=datetime.date(2026, 3, 1),
        **more,
    )


def test_nurse_in_the_network_adds_a_goal_and_an_action_for_the_physio(
    nurse, physio_in_network, shared_patient
):
    goal = a_goal(nurse, shared_patient)
    action = action_add(
        actor=actor_for(nurse),
        access=access_of(nurse, shared_patient),
        goal=goal,
        description="Looptraining 2x per week",
        owner=membership(physio_in_network),
        due_date=datetime.date(2026, 2, 1),
    )
    plan = HealthPlan.objects.get(patient=shared_patient)
    assert action.plan == plan and action.owner.user == physio_in_network
    assert action.status == Action.Status.OPEN
    # Problem, goal and action each left a change row, by the nurse for her organisation.
    changes = list(PlanChange.objects.filter(plan=plan).order_by("pk"))
    assert [(c.kind, c.verb) for c in changes] == [
        ("problem", "created"),
        ("goal", "created"),
        ("action", "created"),
    ]
    assert all(c.user == nurse and c.organisation.name == "Thuiszorg Friesland" for c in changes)
    assert ["target_value", "", "100 m zonder rust"] in changes[1].changes
    # And each write is in the access log with her true relationship: the care network.
    entries = AccessLogEntry.objects.filter(patient=shared_patient, user=nurse, action="create")
    assert entries.count() == 3
    assert set(entries.values_list("relationship", flat=True)) == {"care_network"}
    assert entries.filter(object_ref=f"health_plan:action:{action.pk}").exists()


def test_an_action_for_someone_outside_the_care_network_is_refused_and_nothing_is_stored(
    nurse, physio, shared_patient
):
    """The physio is a provider, but not in this patient's care network."""
    goal = a_goal(nurse, shared_patient)
    before = (Action.objects.count(), PlanChange.objects.count(), AccessLogEntry.objects.count())
    with pytest.raises(ValidationError) as refused:
        action_add(
            actor=actor_for(nurse),
            access=access_of(nurse, shared_patient),
            goal=goal,
            description="Looptraining",
            owner=membership(physio),
        )
    assert refused.value.message_dict["owner"] == [
        "Foppe Hiemstra zit niet in het zorgnetwerk van deze patiënt. Voeg die eerst toe aan "
        "het zorgnetwerk, of kies iemand die er al in zit."
    ]
    after = (Action.objects.count(), PlanChange.objects.count(), AccessLogEntry.objects.count())
    assert after == before


def test_an_existing_action_cannot_be_handed_to_someone_outside_the_network(
    nurse, physio, shared_patient
):
    goal = a_goal(nurse, shared_patient)
    access = access_of(nurse, shared_patient)
    action = action_add(
        actor=actor_for(nurse),
        access=access,
        goal=goal,
        description="Wond",
        owner=membership(nurse),
    )
    with pytest.raises(ValidationError):
        action_update(
            actor=actor_for(nurse),
            access=access,
            action=action,
            version=1,
            owner=membership(physio),
        )
    action.refresh_from_db()
    assert action.owner.user == nurse and action.version == 1


def test_who_may_own_an_action(gp, assistant, nurse, physio, outsider, shared_patient):
    """The care network and the practice's collaborating staff with patient-data access."""
    owners = {m.user for m in action_owners_for(shared_patient)}
    assert owners == {gp, nurse}
    # The nurse's membership of another organisation does not count: she is in the network
    # for Thuiszorg Friesland only.
    other = MembershipFactory(user=nurse, role="provider")
    assert other not in action_owners_for(shared_patient)
    # Ending her care-network membership ends it.
    shared_patient.network.update(ended_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    assert {m.user for m in action_owners_for(shared_patient)} == {gp}


def test_a_partner_outside_the_network_does_not_find_the_plan(physio, outsider, shared_patient):
    for user in (physio, outsider):
        with pytest.raises(Http404):
            plan_patient_get_for(actor=actor_for(user), pk=shared_patient.pk)
    refused = AccessLogEntry.objects.filter(patient=shared_patient, outcome="denied")
    assert refused.count() == 2


def test_the_second_of_two_concurrent_edits_is_told_and_nothing_is_overwritten(
    gp, nurse, shared_patient
):
    goal = a_goal(nurse, shared_patient)
    # Both opened the form at version 1; the gp saves first.
    goal_update(
        actor=actor_for(gp),
        access=access_of(gp, shared_patient),
        goal=goal,
        version=1,
        target_value="200 m zonder rust",
    )
    with pytest.raises(ValidationError) as stale:
        goal_update(
            actor=actor_for(nurse),
            access=access_of(nurse, shared_patient),
            goal=goal,
            version=1,
            target_value="50 m",
        )
    assert stale.value.code == "stale"
    assert "Iemand anders heeft dit intussen gewijzigd" in stale.value.messages[0]
    goal.refresh_from_db()
    assert goal.target_value == "200 m zonder rust" and goal.version == 2
    change = PlanChange.objects.filter(kind="goal", verb="updated").get()
    assert change.user == gp
    assert change.changes == [["target_value", "100 m zonder rust", "200 m zonder rust"]]


def test_marking_done_records_who_and_twice_changes_nothing_more(nurse, gp, shared_patient):
    goal = a_goal(nurse, shared_patient)
    access = access_of(nurse, shared_patient)
    action = action_add(
        actor=actor_for(nurse), access=access, goal=goal, description="Wond", owner=membership(gp)
    )
    done = action_status_set(
        actor=actor_for(gp), access=access_of(gp, shared_patient), action=action, status="done"
    )
    assert done.status == "done" and done.done_by == gp and done.done_at is not None
    again = action_status_set(
        actor=actor_for(gp), access=access_of(gp, shared_patient), action=action, status="done"
    )
    assert again.version == done.version
    assert PlanChange.objects.filter(kind="action", verb="updated").count() == 1
    # The gp's write is logged as the own practice.
    assert AccessLogEntry.objects.filter(
        user=gp, action="update", relationship="own_practice", patient=shared_patient
    ).exists()


def test_a_wrong_icpc_code_is_refused_in_dutch(nurse, shared_patient):
    with pytest.raises(ValidationError) as refused:
        problem_add(
            actor=actor_for(nurse),
            access=access_of(nurse, shared_patient),
            title="Suikerziekte",
            icpc_code="E11",
        )
    assert "ICPC" in refused.value.message_dict["icpc_code"][0]
    assert not Problem.objects.exists() and not HealthPlan.objects.exists()


def test_an_object_of_another_patients_plan_is_not_written(nurse, gp, patient, shared_patient):
    goal = a_goal(gp, patient)  # the gp's other patient, whom the nurse may not see
    with pytest.raises(ValueError):
        action_add(
            actor=actor_for(nurse),
            access=access_of(nurse, shared_patient),
            goal=goal,
            description="Ondergeschoven",
            owner=membership(nurse),
        )
    assert not Action.objects.exists()
    assert Goal.objects.count() == 1


def test_a_new_colleague_outside_the_network_is_not_an_owner(nursing, shared_patient):
    colleague = UserFactory(first_name="Hiltje", last_name="Nieuw")
    m = MembershipFactory(user=colleague, organisation=nursing, role="provider")
    assert m not in action_owners_for(shared_patient)


def test_changing_a_done_action_keeps_who_did_it_and_when(nurse, gp, shared_patient):
    goal = a_goal(nurse, shared_patient)
    access = access_of(nurse, shared_patient)
    action = action_add(
        actor=actor_for(nurse), access=access, goal=goal, description="Wond", owner=membership(gp)
    )
    done = action_status_set(
        actor=actor_for(gp), access=access_of(gp, shared_patient), action=action, status="done"
    )
    changed = action_update(
        actor=actor_for(nurse),
        access=access,
        action=action,
        version=done.version,
        description="Wond verbonden",
    )
    assert (changed.done_by, changed.done_at) == (gp, done.done_at)


def test_every_change_brings_the_plans_date_up_to_date(nurse, shared_patient, time_machine):
    time_machine.move_to("2026-01-05 10:00 +01:00")
    goal = a_goal(nurse, shared_patient)
    time_machine.move_to("2026-02-10 10:00 +01:00")
    goal_update(
        actor=actor_for(nurse),
        access=access_of(nurse, shared_patient),
        goal=goal,
        version=goal.version,
        status="achieved",
    )
    plan = HealthPlan.objects.get()
    assert plan.updated_at.date() == datetime.date(2026, 2, 10)
