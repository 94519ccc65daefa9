"""The referral state machine: the one table of transitions and who may make them.

    draft ──send──▶ sent ──accept──▶ accepted (in behandeling) ──close──▶ closed
      │               ├──decline──▶ declined ──close──▶ closed
      └──cancel──▶ cancelled ◀──cancel── sent

The referring practice (*sender*: staff of that practice with patient-data access) drafts, sends,
cancels before acceptance and closes. The receiving organisation (*receiver*: its collaborating
members, only the team's members when the referral is addressed to a team — the rule is
``referrals.access.received_by``) accepts or declines. While the referral is open (sent, in
treatment: ``Referral.OPEN_STATES``) its receivers hold an access grant to the patient.
The named services (``referral_send``, ``referral_accept``, …) call :func:`transition_check`
before they change anything; pages call :func:`actions_for` to show only the buttons that would
work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from network.access import Actor, sees_own_practice_patients
from referrals.access import is_receiver
from referrals.models import Referral

S = Referral.State


class Party(StrEnum):
    SENDER = "sender"
    RECEIVER = "receiver"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    party: Party


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("send", frozenset({S.DRAFT}), S.SENT, Party.SENDER),
        Transition("cancel", frozenset({S.DRAFT, S.SENT}), S.CANCELLED, Party.SENDER),
        Transition("accept", frozenset({S.SENT}), S.ACCEPTED, Party.RECEIVER),
        Transition("decline", frozenset({S.SENT}), S.DECLINED, Party.RECEIVER),
        Transition("close", frozenset({S.ACCEPTED, S.DECLINED}), S.CLOSED, Party.SENDER),
    )
}
FINAL_STATES = frozenset({S.CANCELLED, S.CLOSED})


def parties_of(actor: Actor, referral: Referral) -> frozenset[Party]:
    """Which side(s) of this referral the actor is on, for the organisation they act for."""
    parties = set()
    membership = actor.membership
    if membership is None:
        return frozenset()
    if sees_own_practice_patients(actor) and membership.organisation_id == referral.practice_id:
        parties.add(Party.SENDER)
    if is_receiver(actor, referral):
        parties.add(Party.RECEIVER)
    return frozenset(parties)


def actions_for(actor: Actor, referral: Referral) -> list[str]:
    """The transitions the actor may make now, in table order."""
    parties = parties_of(actor, referral)
    return [
        t.action for t in TRANSITIONS.values() if referral.state in t.sources and t.party in parties
    ]


def is_in_treatment_by(actor: Actor, referral: Referral) -> bool:
    """In treatment and the actor is on the receiving side: they send feedback and bring
    colleagues into the patient's care network."""
    return referral.state == S.ACCEPTED and Party.RECEIVER in parties_of(actor, referral)


def _state_message(referral: Referral, transition: Transition) -> str:
    if referral.state == S.ACCEPTED and transition.action in ("accept", "decline", "cancel"):
        name = referral.accepted_by.full_name if referral.accepted_by else ""
        return _("This referral was already accepted by %(name)s.") % {"name": name}
    if referral.state == S.DECLINED and transition.action in ("accept", "decline", "cancel"):
        return _("This referral was already declined.")
    if referral.state == S.CANCELLED:
        return _("This referral was cancelled by the practice.")
    if referral.state == S.CLOSED:
        return _("This referral is closed.")
    if referral.state == S.DRAFT:
        return _("This referral has not been sent yet.")
    if transition.action == "send":
        return _("This referral was already sent.")
    return _("This cannot be done while the referral is %(state)s.") % {
        "state": referral.get_state_display()
    }


def transition_check(actor: Actor, referral: Referral, action: str) -> Transition:
    """The transition, if ``actor`` may make it from the referral's current state.

    Wrong side: PermissionDenied (403). Impossible from this state: ValidationError with a
    Dutch message saying why (someone else was first, the practice cancelled, …).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError(_("Unknown action."))
    if transition.party not in parties_of(actor, referral):
        raise PermissionDenied
    if referral.state not in transition.sources:
        raise ValidationError(_state_message(referral, transition), code="state")
    return transition
