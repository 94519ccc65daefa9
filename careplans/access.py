"""Who may record and who may read a patient's advance care plan (PZP/ACP). The one place.

- **Record** (every save is a new version): the patient's own GP practice, the *regiehouder* —
  its staff who see the practice's patients (``PatientAccess.is_own_practice``: patient-data
  access and a collaborating level). Nobody else, ever.
- **Read** (the plan, its versions, the PDF): the own practice; anyone else only when they may
  see the patient (``network.access``) *and* the newest version records that the patient agreed
  to share with the care network *and* names them — the person, for the organisation they act
  for now. A network member the patient did not choose gets 404, as if there were no plan: the
  plan's existence is itself what the patient chose to share or not.
- A reader who tries to record gets 403. Every look, download, export and refusal is logged
  (NEN 7513) with the relationship ``network.access`` names.

**Why a plain table and not django-guardian** for "shared with which network members": the
grant is part of what the patient agreed at one moment, so it belongs to the version
(:class:`careplans.models.AcpShare`), is kept with it (who could read version 3 stays
answerable) and changes only by recording a new version. It is for a person *acting for one
organisation* (NEN 7513 and ``network.access`` decide per acting membership), which guardian's
user/group permissions cannot say; and it is read as a join in the same query as the version
(one ``EXISTS``), never one permission lookup per object. Guardian would add a second place
that must be kept in step with the versions for nothing it does better.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from careplans.models import AcpShare, AcpVersion, AdvanceCarePlan
from network.access import Actor, PatientAccess, patient_access_for, patient_get_for, refusal_log
from network.access_log import access_log_write
from network.models import AccessAction

__all__ = [
    "ACP_DATA",
    "AcpAccess",
    "Actor",
    "acp_get_for",
    "acp_header_for",
]

# What the access log records for the plan's content ("PZP" in the overview).
ACP_DATA = "acp"


@dataclass(frozen=True)
class AcpAccess:
    """A patient's plan as one actor may see it: the patient, the newest version (None before
    the first), and whether they may record a new one."""

    access: PatientAccess
    version: AcpVersion | None

    @property
    def patient(self):
        return self.access.patient

    @property
    def plan(self) -> AdvanceCarePlan | None:
        return self.version.plan if self.version else None

    @property
    def can_edit(self) -> bool:
        return can_edit_acp(self.access)


def can_edit_acp(access: PatientAccess) -> bool:
    """Only the patient's own practice records the plan."""
    return access.is_own_practice


def _shared_with(actor: Actor) -> Exists:
    return Exists(
        AcpShare.objects.filter(
            version=OuterRef("pk"),
            user_id=actor.user.pk,
            organisation_id=actor.membership.organisation_id,
        )
    )


def _newest_version(actor: Actor, access: PatientAccess) -> AcpVersion | None:
    """The newest version, with ``shared_with_actor`` annotated: one query."""
    versions = AcpVersion.objects.filter(plan__patient_id=access.patient.pk)
    if not access.is_own_practice:
        versions = versions.annotate(shared_with_actor=_shared_with(actor))
    return versions.select_related("plan", "created_by", "organisation").order_by("-number").first()


def may_read(access: PatientAccess, version: AcpVersion | None) -> bool:
    if access.is_own_practice:
        return True
    return bool(
        version is not None
        and version.consent_network
        and getattr(version, "shared_with_actor", False)
    )


def _refuse(actor: Actor, access: PatientAccess, action: str, object_ref: str) -> None:
    refusal_log(actor=actor, access=access, action=action, object_ref=object_ref)


def acp_get_for(
    *,
    actor: Actor,
    pk,
    action: str = AccessAction.READ,
    edit: bool = False,
    object_ref: str = "",
    log: bool = True,
) -> AcpAccess:
    """The plan of patient ``pk`` if ``actor`` may read it (``edit``: record it), else 404 —
    the same for "no such patient", "not your patient" and "not shared with you" — or 403 for
    a reader who may not record. Logs the look (``action``) with the true relationship, and
    every refusal. ``log=False`` for writes, which log what they did themselves."""
    object_ref = object_ref or f"{ACP_DATA}:{pk}"[:100]
    try:
        access = patient_access_for(actor=actor, pk=pk)
    except Http404:
        # Logs the refusal and raises the same 404.
        patient_get_for(actor=actor, pk=pk, data=[ACP_DATA], action=action, object_ref=object_ref)
        raise
    version = _newest_version(actor, access)
    if not may_read(access, version):
        _refuse(actor, access, action, object_ref)
        raise Http404
    if edit and not can_edit_acp(access):
        _refuse(actor, access, AccessAction.UPDATE, object_ref)
        raise PermissionDenied
    if log:
        access_log_write(
            actor=actor,
            action=action,
            relationship=access.relationship,
            patient=access.patient,
            data=[ACP_DATA],
            object_ref=object_ref,
        )
    return AcpAccess(access=access, version=version)


def acp_header_for(*, actor: Actor, access: PatientAccess) -> AcpAccess | None:
    """For the patient header: the plan if the actor may read it (the own practice also
    without one, to record it), else None. One query; logs a read only when the header shows
    the plan's headline (treatment limits are the plan's content)."""
    version = _newest_version(actor, access)
    if not may_read(access, version):
        return None
    if version is not None and version.headline:
        access_log_write(
            actor=actor,
            action=AccessAction.READ,
            relationship=access.relationship,
            patient=access.patient,
            data=[ACP_DATA],
            object_ref=f"{ACP_DATA}_headline:{access.patient.pk}",
        )
    return AcpAccess(access=access, version=version)
