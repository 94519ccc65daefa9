"""The referral state machine, driven by random sequences of actions by random people.

Whatever happens, a referral is only ever in a known state, each transition is made only by the
side the table names and only from the states it names, every refused attempt changes nothing,
and every successful one is kept as an event.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from network.models import CareNetworkMember
from referrals.models import Referral
from referrals.services import referral_transition
from referrals.states import TRANSITIONS, Party, parties_of
from tests.conversations.conftest import actor_for
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db

S = Referral.State
# The states and rights the issue describes, written out here independently of
# ``referrals/states.py``: action -> (from which states, to which state, which side).
EXPECTED_TRANSITIONS = {
    "send": ({S.DRAFT}, S.SENT, Party.SENDER),
    "cancel": ({S.DRAFT, S.SENT}, S.CANCELLED, Party.SENDER),
    "accept": ({S.SENT}, S.ACCEPTED, Party.RECEIVER),
    "decline": ({S.SENT}, S.DECLINED, Party.RECEIVER),
    "close": ({S.ACCEPTED, S.DECLINED}, S.CLOSED, Party.SENDER),
}
PEOPLE = ("gp", "nurse", "team_nurse", "physio", "assistant", "outsider")
# Who is on which side of a referral from De Linde to Thuiszorg Friesland (to the whole
# organisation): the GP sends; both nurses receive; the rest are on neither side.
EXPECTED_SIDE = {
    "gp": Party.SENDER,
    "nurse": Party.RECEIVER,
    "team_nurse": Party.RECEIVER,
    "physio": None,
    "assistant": None,  # De Linde, but no patient-data access
    "outsider": None,
}

# The two sides come up more often than the bystanders, so that long paths are walked.
WEIGHTED_PEOPLE = ("gp", "gp", "gp", "nurse", "nurse", "team_nurse", *PEOPLE[3:])
steps = st.lists(
    st.tuples(
        st.sampled_from([*sorted(EXPECTED_TRANSITIONS), "reopen"]),
        st.sampled_from(WEIGHTED_PEOPLE),
    ),
    min_size=1,
    max_size=8,
)


def test_the_table_is_the_one_the_issue_describes():
    assert {
        action: (set(t.sources), t.target, t.party) for action, t in TRANSITIONS.items()
    } == EXPECTED_TRANSITIONS


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps)
def test_random_transitions_by_random_people_keep_the_referral_valid(
    steps, gp, nurse, team_nurse, physio, assistant, outsider, nursing, patient
):
    people = {
        "gp": gp,
        "nurse": nurse,
        "team_nurse": team_nurse,
        "physio": physio,
        "assistant": assistant,
        "outsider": outsider,
    }
    referral = refer(gp, patient, nursing, send=False)
    expected = Referral.State.DRAFT
    made = 0
    for action, who in steps:
        actor = actor_for(people[who])
        if action not in EXPECTED_TRANSITIONS:  # no such transition: refused, nothing changes
            with pytest.raises(ValidationError):
                referral_transition(actor=actor, referral=referral, action=action)
            continue
        sources, target, party = EXPECTED_TRANSITIONS[action]
        side_ok = EXPECTED_SIDE[who] == party
        assert (party in parties_of(actor, referral)) == side_ok
        try:
            referral = referral_transition(
                actor=actor, referral=referral, action=action, reason="Geen capaciteit."
            )
        except PermissionDenied:
            assert not side_ok, f"{who} was refused {action} but is the {party}"
        except ValidationError:
            assert side_ok and expected not in sources
        else:
            assert side_ok, f"{who} could {action} without being the {party}"
            assert expected in sources, f"{action} from {expected}"
            expected = target
            made += 1
        referral.refresh_from_db()
        assert referral.state == expected
        assert referral.state in S.values
        assert referral.events.count() == made
    if referral.state in (Referral.State.ACCEPTED, Referral.State.CLOSED) and referral.accepted_by:
        # Whoever accepted joined the patient's care network (reason: referral).
        assert CareNetworkMember.objects.filter(
            patient=patient, user=referral.accepted_by, reason="referral"
        ).exists()
    if referral.state == Referral.State.DECLINED:
        assert referral.decline_reason == "Geen capaciteit."


def _paths_to_every_state() -> dict[str, list[tuple[str, str]]]:
    """The shortest (action, side) path from a draft to each state, by the expected table."""
    paths = {S.DRAFT: []}
    frontier = [S.DRAFT]
    while frontier:
        state = frontier.pop(0)
        for action, (sources, target, party) in EXPECTED_TRANSITIONS.items():
            if state in sources and target not in paths:
                paths[target] = [*paths[state], (action, party)]
                frontier.append(target)
    return paths


def test_every_action_by_every_person_in_every_state(
    gp, nurse, team_nurse, physio, assistant, outsider, nursing, patient
):
    people = {
        "gp": gp,
        "nurse": nurse,
        "team_nurse": team_nurse,
        "physio": physio,
        "assistant": assistant,
        "outsider": outsider,
    }
    side_of = {Party.SENDER: gp, Party.RECEIVER: nurse}
    paths = _paths_to_every_state()
    assert set(paths) == set(S.values)  # every state can be reached
    for state, path in paths.items():
        for action, (sources, target, party) in EXPECTED_TRANSITIONS.items():
            for who, user in people.items():
                referral = refer(gp, patient, nursing, send=False)
                for step, step_party in path:
                    referral = referral_transition(
                        actor=actor_for(side_of[step_party]),
                        referral=referral,
                        action=step,
                        reason="Vol.",
                    )
                assert referral.state == state
                case = f"{who} {action} in {state}"
                if EXPECTED_SIDE[who] != party:
                    with pytest.raises(PermissionDenied):
                        referral_transition(actor=actor_for(user), referral=referral, action=action)
                elif state not in sources:
                    with pytest.raises(ValidationError):
                        referral_transition(
                            actor=actor_for(user), referral=referral, action=action, reason="x"
                        )
                else:
                    done = referral_transition(
                        actor=actor_for(user), referral=referral, action=action, reason="x"
                    )
                    assert done.state == target, case
                referral.refresh_from_db()
                assert referral.state in (state, target), case
                assert referral.events.count() == len(path) + (referral.state != state), case
