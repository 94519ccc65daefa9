"""Who may see which referral. The patient's data in it still comes from ``network.access``.

- The referring practice: its staff with patient-data access (the same people who may open the
  patient) see every referral of the practice, drafts included.
- The receiving organisation: its collaborating members — only the team's members when the
  referral went to a team — see it once it is sent, also after it ended (their history).
- Nobody else: 404, the same as for a referral that does not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from network.access import (
    Actor,
    PatientAccess,
    collaborates,
    patient_get_for,
    patients_visible_to,
    sees_own_practice_patients,
)
from referrals.models import Referral

# --- who receives a referral: the rule, written once ----------------------------------------
# The collaborating members of the organisation it is addressed to; when it went to a team,
# only that team's members. Two forms of the same rule, side by side: a filter for lists, and
# the answer for one referral already loaded (no query unless it went to a team).


def received_by(actor: Actor) -> Q:
    """The referrals ``actor`` is a receiver of, as a filter."""
    if not collaborates(actor):
        return Q(pk__in=[])
    membership = actor.membership
    return Q(to_organisation_id=membership.organisation_id) & (
        Q(to_team__isnull=True) | Q(to_team__in=membership.teams.all())
    )


def is_receiver(actor: Actor, referral: Referral) -> bool:
    """Whether ``actor`` is a receiver of ``referral`` — :func:`received_by` for one row."""
    membership = actor.membership
    return (
        collaborates(actor)
        and membership.organisation_id == referral.to_organisation_id
        and (
            referral.to_team_id is None or membership.teams.filter(pk=referral.to_team_id).exists()
        )
    )


def referrals_visible_to(actor: Actor) -> QuerySet[Referral]:
    membership = actor.membership
    if membership is None or not collaborates(actor):
        return Referral.objects.none()
    rule = received_by(actor) & ~Q(state=Referral.State.DRAFT)
    if sees_own_practice_patients(actor):
        rule |= Q(practice_id=membership.organisation_id)
    return Referral.objects.filter(rule)


def referral_get_for(*, actor: Actor, pk) -> Referral:
    try:
        return (
            referrals_visible_to(actor)
            .select_related("patient", "to_organisation", "to_team", "care_pathway", "accepted_by")
            .get(pk=pk)
        )
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def referral_patient_get_for(*, actor: Actor, referral: Referral, data) -> PatientAccess | None:
    """The referral's patient as the actor may see them now (logged, relationship "referral"
    while it is open), or None: the receivers of an ended referral keep its history but see the
    patient only through the care network."""
    if not patients_visible_to(actor).filter(pk=referral.patient_id).exists():
        return None
    return patient_get_for(
        actor=actor, pk=referral.patient_id, data=data, object_ref=f"referral:{referral.pk}"
    )
