"""Fixtures for referrals: the practice refers its patient to Thuiszorg Friesland.

Actors as in ``tests/conftest.py``: the gp of De Linde (sender), the district nurse (lead
provider of Thuiszorg Friesland, a receiver), the physio (another partner) and the outsider
(another practice). ``team_nurse`` (tests/conftest.py) is a second nurse, in Thuiszorg's Team Noord.
"""

from __future__ import annotations

from network.access import patient_access_for
from referrals.services import referral_create
from tests.conversations.conftest import actor_for, login  # noqa: F401  (login: a fixture)
from tests.conversations.test_consumers import cookie_of  # noqa: F401  (fixture)
from tests.conversations.test_his_export import (  # noqa: F401  (fixtures)
    admin_client_2fa,
    endpoint,
    his,
    worker_like_retries,
)


def refer(
    gp, patient, organisation, *, send=True, team=None, question="Wondzorg na opname.", **more
):
    """``gp`` refers ``patient``; ``more``: files, client_key, urgency, care_pathway."""
    actor = actor_for(gp)
    return referral_create(
        actor=actor,
        patient_access=patient_access_for(actor=actor, pk=patient.pk),
        to_organisation=organisation,
        to_team=team,
        question=question,
        send=send,
        **more,
    )
