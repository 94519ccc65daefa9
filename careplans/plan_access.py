"""Who may read and change a patient's health plan, and who may own one of its actions.

Built on ``network.access``, which alone decides who sees the patient:

- Everyone who may see the patient (the practice's own staff with patient-data access, the
  care network of a visible patient, the receivers of an open referral) reads the plan and
  adds and changes its problems, goals and actions: the plan is what the disciplines do
  together. Nobody else: the same 404 as for a patient that does not exist.
- An action's owner is a person *for an organisation* (a membership) who is a current member
  of the patient's care network, or a collaborating member of the patient's own practice with
  patient-data access. Anyone else is refused, with a clear message: an action for someone who
  cannot even open the plan would never be done.

Every read of the plan is logged (NEN 7513) with the relationship ``network.access`` names.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.levels import LEVEL_CAPABILITIES, Capability
from accounts.models import Membership
from careplans.models import Action, HealthPlan
from network.access import (
    Actor,
    PatientAccess,
    collaborates,
    patient_access_for,
    patient_get_for,
    patients_visible_to,
    relationship_facts,
)
from network.models import AccessAction, CareNetworkMember, DataCategory, Patient

PLAN_DATA = "health_plan"

# Practice levels that collaborate (see the patient's data when given patient-data access).
_COLLABORATING_LEVELS = [
    level for level, caps in LEVEL_CAPABILITIES.items() if Capability.COLLABORATE in caps
]


def plan_patient_get_for(
    *, actor: Actor, pk, action: str = AccessAction.READ, object_ref: str = PLAN_DATA
) -> PatientAccess:
    """The patient whose plan the actor opens (404 if they may not see them), logged."""
    return patient_get_for(
        actor=actor,
        pk=pk,
        data=[DataCategory.IDENTITY, PLAN_DATA],
        action=action,
        object_ref=object_ref,
    )


def plan_patient_access_for(*, actor: Actor, pk) -> PatientAccess:
    """The same answer without logging: for writes, which log themselves."""
    return patient_access_for(actor=actor, pk=pk)


def action_owners_for(patient: Patient, *, keeping=None) -> QuerySet[Membership]:
    """Who may own an action in ``patient``'s plan: the current care network, and the
    practice's own collaborating staff with patient-data access; active memberships only.
    ``keeping``: an action's current owner, offered even after leaving the network, so the
    action can be changed without handing it over (``plan_services`` accepts an unchanged
    owner)."""
    in_network = Exists(
        CareNetworkMember.objects.current().filter(
            patient_id=patient.pk,
            user_id=OuterRef("user_id"),
            organisation_id=OuterRef("organisation_id"),
        )
    )
    practice_staff = Q(
        organisation_id=patient.practice_id,
        has_patient_data_access=True,
        level__in=_COLLABORATING_LEVELS,
    )
    rule = in_network | practice_staff
    if keeping is not None:
        rule |= Q(pk=keeping.pk)
    return (
        Membership.objects.active()
        .filter(rule)
        .select_related("user", "organisation")
        .order_by("user__first_name", "user__last_name", "organisation__name", "pk")
    )


def is_action_owner_allowed(patient: Patient, membership: Membership) -> bool:
    return action_owners_for(patient).filter(pk=membership.pk).exists()


def can_own_actions(actor: Actor) -> bool:
    """Whether the actor, for the organisation they act for, can be an action's owner at all:
    a network partner who collaborates, or practice staff with patient-data access."""
    return collaborates(actor) and (
        not actor.membership.organisation.is_gp_practice or actor.membership.has_patient_data_access
    )


def open_actions_for(actor: Actor) -> QuerySet[Action]:
    """The actor's own open actions (for the organisation they act for) in the plans of
    patients they may see now, with what the access log needs to name the relationship."""
    if not can_own_actions(actor):
        return Action.objects.none()
    plans = HealthPlan.objects.filter(patient__in=patients_visible_to(actor).values("pk"))
    return Action.objects.filter(
        owner_id=actor.membership.pk, status=Action.Status.OPEN, plan__in=plans.values("pk")
    ).annotate(**relationship_facts(actor, patient="plan__patient_id"))
