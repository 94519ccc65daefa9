"""Who may read, enter and set limits for a patient's home measurements. The one place.

Built on ``network.access``, which alone decides who sees the patient:

- **Read** (readings, charts, alerts): everyone who may see the patient *and* whose kind of
  organisation the authorisation matrix allows "measurements and lab values" — the practice's
  own staff with patient-data access always. Anyone else: the same 404 as for a patient that
  does not exist (a physiotherapist, whom the matrix does not allow measurements, included).
- **Enter** readings: the practice's own staff, and district nurses (an organisation of kind
  district nursing) who may read them — the nurse in the patient's kitchen.
- **Set limits and handle alerts**: the practice only (the *regiehouder*). A reader who tries
  gets 403.
- **The practice's open alerts** (the start page and its list of every patient's alerts):
  the practice's own staff with patient-data access — the people ``alert_notify`` mails —
  for the practice they act for.

Every look is logged (NEN 7513) with the relationship ``network.access`` names; refusals too.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import OrganisationKind
from network.access import (
    Actor,
    PatientAccess,
    collaborates,
    patient_access_for,
    patient_get_for,
    refusal_log,
    sees_own_practice_patients,
)
from network.access_log import access_log_write
from network.models import AccessAction, DataCategory

__all__ = [
    "Actor",
    "can_enter",
    "can_see_practice_alerts",
    "can_set_thresholds",
    "measurements_access_for",
    "measurements_get_for",
]

MEASUREMENTS = DataCategory.MEASUREMENTS
ENTER, THRESHOLDS = "enter", "thresholds"


def can_read(access: PatientAccess) -> bool:
    return access.can_see(MEASUREMENTS)


def can_enter(actor: Actor, access: PatientAccess) -> bool:
    return can_read(access) and (
        access.is_own_practice
        or actor.membership.organisation.kind == OrganisationKind.DISTRICT_NURSING
    )


def can_set_thresholds(access: PatientAccess) -> bool:
    return access.is_own_practice


def can_see_practice_alerts(actor: Actor) -> bool:
    """Whether the actor keeps watch over the alerts of every patient of the practice they act
    for: its own staff with patient-data access (who see every category of its patients)."""
    return sees_own_practice_patients(actor)


def _refuse(actor: Actor, access: PatientAccess, action: str, object_ref: str) -> None:
    refusal_log(actor=actor, access=access, action=action, object_ref=object_ref)


def _checked(actor: Actor, access: PatientAccess, *, need: str, action: str, ref: str) -> None:
    if not can_read(access):
        _refuse(actor, access, action, ref)
        raise Http404
    if need == ENTER and not can_enter(actor, access):
        _refuse(actor, access, AccessAction.CREATE, ref)
        raise PermissionDenied
    if need == THRESHOLDS and not can_set_thresholds(access):
        _refuse(actor, access, AccessAction.UPDATE, ref)
        raise PermissionDenied


def measurements_get_for(
    *, actor: Actor, pk, need: str = "", action: str = AccessAction.READ
) -> PatientAccess:
    """The patient whose measurements the actor opens, if they may (``need``: also enter
    them, or set limits), else 404 — or 403 for a reader who may not do this. Logged."""
    if not collaborates(actor):
        raise PermissionDenied
    ref = f"measurements:{pk}"[:100]
    try:
        access = patient_access_for(actor=actor, pk=pk)
    except Http404:
        # Logs the refusal and raises the same 404.
        patient_get_for(actor=actor, pk=pk, data=[MEASUREMENTS], action=action, object_ref=ref)
        raise
    _checked(actor, access, need=need, action=action, ref=ref)
    access_log_write(
        actor=actor,
        action=action,
        relationship=access.relationship,
        patient=access.patient,
        data=[DataCategory.IDENTITY, MEASUREMENTS],
        object_ref=ref,
    )
    return access


def measurements_access_for(*, actor: Actor, pk, need: str = "") -> PatientAccess:
    """The same answer without logging the look: for writes, which log what they did."""
    if not collaborates(actor):
        raise PermissionDenied
    ref = f"measurements:{pk}"[:100]
    try:
        access = patient_access_for(actor=actor, pk=pk)
    except Http404:
        patient_get_for(
            actor=actor, pk=pk, data=[MEASUREMENTS], action=AccessAction.CREATE, object_ref=ref
        )
        raise
    _checked(actor, access, need=need, action=AccessAction.CREATE, ref=ref)
    return access
