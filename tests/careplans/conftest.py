"""Fixtures for the health plan: Sjoerd (``shared_patient``, visible) has the district nurse
in his care network; ``physio_in_network`` adds the physiotherapist; a plan with one problem,
one goal and one action for the nurse."""

from __future__ import annotations

import datetime

import pytest

from accounts.models import Membership
from careplans.plan_services import action_add, goal_add, problem_add
from network.access import patient_access_for
from tests.conversations.conftest import actor_for, login  # noqa: F401  (login: a fixture)
from tests.factories import CareNetworkMemberFactory


def membership(user) -> Membership:
    return Membership.objects.select_related("user", "organisation").get(user=user)


def access_of(user, patient):
    return patient_access_for(actor=actor_for(user), pk=patient.pk)


@pytest.fixture
def physio_in_network(physio, physio_practice, shared_patient):
    CareNetworkMemberFactory(patient=shared_patient, user=physio, organisation=physio_practice)
    return physio


def plan_with(user, patient, *, goals=1, actions_per_goal=1, owner=None):
    """A problem with ``goals`` goals, each with ``actions_per_goal`` actions, by ``user``."""
    actor, access = actor_for(user), access_of(user, patient)
    owner = owner or membership(user)
    problem = problem_add(actor=actor, access=access, title="COPD", icpc_code="R95")
    made = []
    for i in range(goals):
        goal = goal_add(
            actor=actor,
            access=access,
            problem=problem,
            description=f"Doel {i}",
            what_matters="Zelf boodschappen doen",
            target_value="100 m",
            evaluation_date=datetime.date(2026, 6, 1),
        )
        for j in range(actions_per_goal):
            made.append(
                action_add(
                    actor=actor,
                    access=access,
                    goal=goal,
                    description=f"Actie {i}.{j}",
                    owner=owner,
                    due_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=j),
                )
            )
    return problem, made


@pytest.fixture
def plan(nurse, shared_patient):
    return plan_with(nurse, shared_patient)
