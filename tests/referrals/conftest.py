"""Fixtures for referrals: the practice refers its patient to Thuiszorg Friesland.

Actors as in ``tests/conftest.py``: the gp of De Linde (sender), the district nurse (lead
provider of Thuiszorg Friesland, a receiver), the physio (another partner) and the outsider
(another practice). ``team_nurse`` is a second nurse in Thuiszorg's Team Noord.
"""

from __future__ import annotations

import pytest

from network.access import patient_access_for
from network.levels import Role
from network.models import Team
from referrals.services import referral_create
from tests.conversations.conftest import actor_for, login  # noqa: F401  (login: a fixture)
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def team_noord(nursing):
    return Team.objects.get(organisation=nursing, name="Team Noord")


@pytest.fixture
def team_nurse(nursing, team_noord):
    user = UserFactory(email="noord@thuiszorg.nl", first_name="Hiltje", last_name="de Vries")
    membership = MembershipFactory(user=user, organisation=nursing, role=Role.PROVIDER)
    membership.teams.add(team_noord)
    return user


def refer(gp, patient, organisation, *, send=True, team=None, question="Wondzorg na opname."):
    actor = actor_for(gp)
    return referral_create(
        actor=actor,
        patient_access=patient_access_for(actor=actor, pk=patient.pk),
        to_organisation=organisation,
        to_team=team,
        question=question,
        send=send,
    )
