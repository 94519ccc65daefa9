"""Who may see an MDO and what of it. The one place, built on ``network.access``.

- **The meeting** (title, date, participants, the agenda's order): its participants, for the
  organisation they take part for (the one chosen in the header, as everywhere). Anyone else
  gets 404 — the same as for a meeting that does not exist.
- **An agenda item** (the patient, the question, preparation notes, minutes, agreements): a
  participant only when ``network.access`` lets them see that patient *now*. An item about a
  patient they cannot see is shown as "a patient you cannot see" without name, question or
  anything written about it, and its own pages are 404 (the refusal is logged). We chose to
  let such a participant be added all the same: a meeting usually has several patients, the
  district nurse may know only one of them, and visibility changes (the practice can make a
  patient visible later) — hiding per item keeps one rule instead of two.
- **Changing** the meeting (participants, agenda, minutes, agreements, status): the chair. A
  participant who tries gets 403. Preparation notes: each participant their own.
- **The HIS export** of a closed meeting's item: any participant acting for the patient's own
  practice (as every HIS export), chair or not.

Every look at an item's patient data is logged (NEN 7513) with the relationship
``network.access`` names; the meeting page logs the patients it names in one write.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from meetings.models import AgendaItem, Meeting, Participant
from network.access import (
    Actor,
    PatientAccess,
    collaborates,
    patient_access_for,
    patient_get_for,
    refusal_log,
)
from network.models import AccessAction, DataCategory

# What the access log records for an MDO's content about a patient.
MEETING_DATA = "meeting"
ITEM_DATA = (DataCategory.IDENTITY, MEETING_DATA)


@dataclass(frozen=True)
class MeetingAccess:
    meeting: Meeting
    participant: Participant

    @property
    def is_chair(self) -> bool:
        return self.participant.is_chair


@dataclass(frozen=True)
class ItemAccess:
    meeting: MeetingAccess
    item: AgendaItem
    patient: PatientAccess


def meetings_of(actor: Actor) -> QuerySet[Meeting]:
    """The meetings the actor takes part in, for the organisation they act for."""
    if not collaborates(actor):
        return Meeting.objects.none()
    return Meeting.objects.filter(
        Exists(
            Participant.objects.filter(meeting=OuterRef("pk"), membership_id=actor.membership.pk)
        )
    )


def meeting_get_for(*, actor: Actor, pk, chair: bool = False) -> MeetingAccess:
    """The meeting if ``actor`` takes part (``chair``: chairs it, else 403), else 404."""
    if not collaborates(actor):
        raise Http404
    participants = Participant.objects.select_related("meeting", "membership__organisation")
    try:
        participant = participants.get(meeting_id=pk, membership_id=actor.membership.pk)
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    access = MeetingAccess(meeting=participant.meeting, participant=participant)
    if chair and not access.is_chair:
        raise PermissionDenied
    return access


def item_get_for(
    *,
    actor: Actor,
    meeting: MeetingAccess,
    pk,
    action: str = AccessAction.READ,
    chair: bool = False,
    log: bool = True,
) -> ItemAccess:
    """An agenda item of ``meeting`` whose patient the actor may see now, else 404 (logged as a
    refusal); ``chair``: only the chair may do this (a participant who sees it: 403, logged).
    ``log=False`` for writes, which log what they did themselves."""
    try:
        item = AgendaItem.objects.get(meeting_id=meeting.meeting.pk, pk=pk)
    except (AgendaItem.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    object_ref = f"meeting_item:{item.pk}"
    if log:
        access = patient_get_for(
            actor=actor, pk=item.patient_id, data=ITEM_DATA, action=action, object_ref=object_ref
        )
    else:
        try:
            access = patient_access_for(actor=actor, pk=item.patient_id)
        except Http404:
            # Logs the refusal and raises the same 404.
            patient_get_for(
                actor=actor,
                pk=item.patient_id,
                data=ITEM_DATA,
                action=action,
                object_ref=object_ref,
            )
            raise
    if chair and not meeting.is_chair:
        refusal_log(actor=actor, access=access, action=action, object_ref=object_ref)
        raise PermissionDenied
    return ItemAccess(meeting=meeting, item=item, patient=access)


def can_export_to_his(item: ItemAccess) -> bool:
    return item.patient.is_own_practice
