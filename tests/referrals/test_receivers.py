"""Who receives a referral is one rule (``referrals.access``), in two forms: a filter for lists
and the answer for one referral. They must agree for everyone, to a team or not."""

from __future__ import annotations

import pytest

from referrals.access import is_receiver, received_by
from referrals.models import Referral
from tests.conversations.conftest import actor_for
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


def test_the_filter_and_the_single_answer_agree(
    gp, nurse, team_nurse, team_noord, physio, assistant, outsider, patient, nursing
):
    to_organisation = refer(gp, patient, nursing)
    to_team = refer(gp, patient, nursing, team=team_noord)
    expected = {
        "gp": set(),
        "nurse": {to_organisation.pk},  # not in Team Noord
        "team_nurse": {to_organisation.pk, to_team.pk},
        "physio": set(),
        "assistant": set(),
        "outsider": set(),
    }
    people = {
        "gp": gp,
        "nurse": nurse,
        "team_nurse": team_nurse,
        "physio": physio,
        "assistant": assistant,
        "outsider": outsider,
    }
    for who, user in people.items():
        actor = actor_for(user)
        listed = set(Referral.objects.filter(received_by(actor)).values_list("pk", flat=True))
        one_by_one = {r.pk for r in (to_organisation, to_team) if is_receiver(actor, r)}
        assert listed == one_by_one == expected[who], who
