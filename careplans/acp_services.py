"""Writes of the advance care plan: recording a new version, exporting it to the HIS."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from careplans.access import ACP_DATA, AcpAccess, Actor, can_edit_acp
from careplans.models import ACP_FIELDS, AcpShare, AcpVersion, AdvanceCarePlan
from network.access_log import access_log_write
from network.models import AccessAction, CareNetworkMember


class AcpConflict(Exception):
    """Someone recorded a newer version after the form was opened."""

    def __init__(self, newest: AcpVersion):
        self.newest = newest
        super().__init__(
            _(
                "%(name)s saved a newer version (version %(number)d) while you were editing. "
                "Nothing of yours has been saved: read the newest version and enter your "
                "changes again."
            )
            % {"name": newest.created_by.full_name, "number": newest.number}
        )


def _plan_for(patient) -> AdvanceCarePlan:
    """The patient's plan row, locked. Two first saves at once create one row."""
    try:
        with transaction.atomic():
            AdvanceCarePlan.objects.get_or_create(patient=patient)
    except IntegrityError:
        pass  # the other save created it; lock that one
    return AdvanceCarePlan.objects.select_for_update().get(patient=patient)


@transaction.atomic
def acp_record(
    *,
    actor: Actor,
    acp: AcpAccess,
    based_on: int,
    data: dict,
    shared_with: list[CareNetworkMember],
) -> AcpVersion:
    """Record a new version of the patient's plan.

    Invariants: only the own practice records (checked again here); versions are never
    changed; ``based_on`` must be the newest version's number when the form was opened (0 for
    a first plan) — checked under a row lock on the plan, so of two GPs saving at once the
    second gets :class:`AcpConflict` and nothing of theirs is stored. The shares are those
    ``shared_with`` members (current care network) and only when the patient agreed to share
    with the network. Logged as a create or update of the patient's data.
    """
    if not can_edit_acp(acp.access):
        raise PermissionDenied
    patient = acp.patient
    plan = _plan_for(patient)
    if plan.current_number != based_on:
        newest = (
            plan.versions.select_related("created_by").order_by("-number").first()
            if plan.current_number
            else None
        )
        if newest is not None:
            raise AcpConflict(newest)
    number = plan.current_number + 1
    version = AcpVersion.objects.create(
        plan=plan,
        number=number,
        created_by=actor.user,
        organisation=actor.membership.organisation,
        **{field: data[field] for field in ACP_FIELDS},
    )
    if version.consent_network:
        AcpShare.objects.bulk_create(
            AcpShare(version=version, user_id=m.user_id, organisation_id=m.organisation_id)
            for m in {(m.user_id, m.organisation_id): m for m in shared_with}.values()
        )
    plan.current_number = number
    plan.save(update_fields=["current_number", "updated_at"])
    access_log_write(
        actor=actor,
        action=AccessAction.CREATE if number == 1 else AccessAction.UPDATE,
        relationship=acp.access.relationship,
        patient=patient,
        data=[ACP_DATA],
        object_ref=f"{ACP_DATA}:{patient.pk}:v{number}",
    )
    return version
