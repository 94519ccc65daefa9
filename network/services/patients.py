"""Writes on patients and their care network. Each logs itself in the access log."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.levels import Capability
from accounts.models import Membership, OrganisationKind
from network.access import (
    Actor,
    PatientAccess,
    patient_access_for,
    relationship_of,
    sees_own_practice_patients,
)
from network.access_log import access_log_write
from network.models import (
    AccessAction,
    CareNetworkMember,
    CareNetworkReason,
    DataCategory,
    Patient,
    PatientSource,
)
from network.signals import patient_access_changed_send

PATIENT_FIELDS = (
    "bsn",
    "initials",
    "first_name",
    "infix",
    "surname",
    "gender",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "phone",
)


@transaction.atomic
def patient_create(*, actor: Actor, data: dict) -> Patient:
    """A patient entered by hand, in the actor's own practice. Not visible to partners yet."""
    if not sees_own_practice_patients(actor):
        raise PermissionDenied
    patient = Patient(
        practice=actor.membership.organisation,
        source=PatientSource.MANUAL,
        **{name: data.get(name, "") for name in PATIENT_FIELDS if name in data},
    )
    patient.full_clean()
    patient.save()
    access_log_write(
        actor=actor,
        action=AccessAction.CREATE,
        relationship=relationship_of(actor, patient),
        patient=patient,
        data=[DataCategory.IDENTITY],
    )
    return patient


@transaction.atomic
def patient_update(*, actor: Actor, access: PatientAccess, data: dict) -> Patient:
    """Change the identity data of a patient entered by hand (the HIS owns imported ones)."""
    if not access.can_edit or access.patient.source != PatientSource.MANUAL:
        raise PermissionDenied
    patient = Patient.objects.select_for_update().get(pk=access.patient.pk)
    changed = [
        name for name in PATIENT_FIELDS if name in data and getattr(patient, name) != data[name]
    ]
    for name in changed:
        setattr(patient, name, data[name])
    if changed:
        patient.full_clean()
        patient.save()
        access_log_write(
            actor=actor,
            action=AccessAction.UPDATE,
            relationship=access.relationship,
            patient=patient,
            data=[DataCategory.IDENTITY],
            object_ref="fields:" + ",".join(changed),
        )
    return patient


@transaction.atomic
def patient_visibility_set(*, actor: Actor, access: PatientAccess, visible: bool) -> Patient:
    """Only practice staff make a patient visible to (or hidden from) network partners.

    Hiding does not end care-network memberships; partners simply stop seeing the patient
    until the practice makes them visible again.
    """
    if not access.can_change_visibility:
        raise PermissionDenied
    patient = Patient.objects.select_for_update().get(pk=access.patient.pk)
    if patient.is_visible != visible:
        patient.is_visible = visible
        patient.visibility_changed_at = timezone.now()
        patient.visibility_changed_by = actor.user
        patient.save(
            update_fields=[
                "is_visible",
                "visibility_changed_at",
                "visibility_changed_by",
                "updated_at",
            ]
        )
        access_log_write(
            actor=actor,
            action=AccessAction.UPDATE,
            relationship=access.relationship,
            patient=patient,
            object_ref="visibility:" + ("on" if visible else "off"),
        )
    return patient


def _can_join_network(membership: Membership) -> bool:
    organisation = membership.organisation
    return (
        membership.is_active
        and membership.user.is_active
        and organisation.is_active
        and organisation.kind != OrganisationKind.CARE_GROUP
        and not organisation.awaits_confirmation
        and membership.can(Capability.COLLABORATE)
    )


@transaction.atomic
def care_network_add(
    *,
    actor: Actor,
    patient: Patient,
    membership: Membership,
    reason: str,
    reason_detail: str = "",
) -> CareNetworkMember:
    """Add the provider of ``membership`` to the patient's care network.

    The one way in for conversations (participants), referrals (whoever accepts) and people added
    by hand. Idempotent: a current member is returned unchanged. The caller must already have
    access to the patient (``network.access``); the provider must collaborate in a network
    organisation. Logged as a change of the patient's care network.
    """
    if reason not in CareNetworkReason.values:
        raise ValueError(f"unknown care-network reason {reason!r}")
    if not _can_join_network(membership):
        raise ValidationError(_("This provider cannot join a care network."))
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # one add at a time
    existing = (
        CareNetworkMember.objects.current()
        .filter(
            patient=patient, user_id=membership.user_id, organisation_id=membership.organisation_id
        )
        .first()
    )
    if existing:
        return existing
    member = CareNetworkMember.objects.create(
        patient=patient,
        user_id=membership.user_id,
        organisation_id=membership.organisation_id,
        reason=reason,
        reason_detail=reason_detail[:200],
        added_by=actor.user,
    )
    access_log_write(
        actor=actor,
        action=AccessAction.CREATE,
        # The caller's access to the patient, as the access rule sees it (one place decides).
        relationship=patient_access_for(actor=actor, pk=patient.pk).relationship,
        patient=patient,
        object_ref=f"care_network_member:{member.pk}",
    )
    return member


def can_end_network_member(
    *, actor: Actor, access: PatientAccess, member: CareNetworkMember
) -> bool:
    """The practice, or the member themself, may end a care-network membership."""
    return access.can_end_any_network_member or (
        member.user_id == actor.user.pk
        and member.organisation_id == actor.membership.organisation_id
    )


@transaction.atomic
def care_network_end(
    *, actor: Actor, access: PatientAccess, member: CareNetworkMember, reason: str
) -> CareNetworkMember:
    """End a membership, with a reason; kept in the network's history. Idempotent."""
    if member.patient_id != access.patient.pk:
        raise PermissionDenied
    if not can_end_network_member(actor=actor, access=access, member=member):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Give a reason."))
    member = CareNetworkMember.objects.select_for_update().get(pk=member.pk)
    if member.ended_at is not None:
        return member
    member.ended_at = timezone.now()
    member.ended_by = actor.user
    member.end_reason = reason.strip()[:300]
    member.save(update_fields=["ended_at", "ended_by", "end_reason"])
    patient_access_changed_send(user_ids=[member.user_id])
    access_log_write(
        actor=actor,
        action=AccessAction.DELETE,
        relationship=access.relationship,
        patient=access.patient,
        object_ref=f"care_network_member:{member.pk}",
    )
    return member
