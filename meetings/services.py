"""Writes of the MDO: one named function per action, each in one transaction.

Invariants:

- The caller got the meeting (and the agenda item) from ``meetings.access``: the actor takes
  part, sees the item's patient, and is the chair where the action is the chair's.
- A closed meeting changes no more (participants, agenda, notes, minutes, agreements): the
  report that went out stays what it was. Turning an agreement into a health-plan action is
  still possible after closing — that is what the agreements are for.
- Every write about a patient logs it (NEN 7513) with the writer's relationship.
- :func:`agreement_to_action` is idempotent: the agreement's row is locked and remembers the
  action, so a double click (or two people at once) makes one action.
- :func:`meeting_close` sends every participant an e-mail that the report is ready, after the
  commit. The e-mail names no patient and no medical data: just a link.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.email import email_send
from accounts.models import Membership
from core.site import site_url
from meetings.access import MEETING_DATA, ItemAccess, MeetingAccess
from meetings.hooks import agreement_action_maker
from meetings.models import AgendaItem, Agreement, Meeting, Minutes, Participant, PreparationNote
from meetings.selectors import next_order, participants_to_tell
from network.access import Actor, PatientAccess
from network.access_log import access_log_write
from network.models import AccessAction


def _require_open(meeting: Meeting) -> None:
    """The meeting is open *now*: its status read again under its row lock, which
    :func:`meeting_close` takes too, so a write checked a moment before the close committed
    cannot land after it. Call inside the write's transaction."""
    status = (
        Meeting.objects.select_for_update()
        .filter(pk=meeting.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status not in (Meeting.Status.PLANNED, Meeting.Status.HELD):  # closed (or gone)
        raise ValidationError(_("This MDO is closed: it can no longer be changed."), code="closed")


def _log(*, actor: Actor, access: PatientAccess, action: str, object_ref: str) -> None:
    access_log_write(
        actor=actor,
        action=action,
        relationship=access.relationship,
        patient=access.patient,
        data=[MEETING_DATA],
        object_ref=object_ref,
    )


@transaction.atomic
def meeting_create(*, actor: Actor, title: str, held_at: datetime.datetime) -> Meeting:
    """A new meeting of the actor's organisation, chaired by the actor (its first participant)."""
    meeting = Meeting.objects.create(
        organisation=actor.membership.organisation,
        chair=actor.user,
        title=title.strip(),
        held_at=held_at,
    )
    Participant.objects.create(
        meeting=meeting, membership=actor.membership, is_chair=True, added_by=actor.user
    )
    return meeting


@transaction.atomic
def participant_add(
    *, actor: Actor, access: MeetingAccess, membership: Membership, allowed
) -> Participant:
    """Add ``membership`` (one of ``allowed``: ``participant_candidates_for``). Adding someone
    who takes part already gives their row again."""
    _require_open(access.meeting)
    if membership.pk not in {m.pk for m in allowed}:
        existing = Participant.objects.filter(meeting=access.meeting, membership=membership).first()
        if existing is not None:
            return existing
        raise ValidationError(
            {
                "membership": _(
                    "Only colleagues of the chair's organisation and members of the care network "
                    "of a patient on the agenda can take part."
                )
            },
            code="not_allowed",
        )
    participant, _created = Participant.objects.get_or_create(
        meeting=access.meeting, membership=membership, defaults={"added_by": actor.user}
    )
    return participant


@transaction.atomic
def item_add(
    *, actor: Actor, access: MeetingAccess, patient_access: PatientAccess, question: str
) -> AgendaItem:
    """Put a patient the chair may see on the agenda, with the question about them."""
    _require_open(access.meeting)  # and holds the meeting's lock: one order each
    if AgendaItem.objects.filter(meeting=access.meeting, patient=patient_access.patient).exists():
        raise ValidationError(
            {"patient": _("This patient is already on the agenda.")}, code="duplicate"
        )
    item = AgendaItem.objects.create(
        meeting=access.meeting,
        patient=patient_access.patient,
        question=question.strip(),
        order=next_order(access.meeting),
        created_by=actor.user,
    )
    _log(
        actor=actor,
        access=patient_access,
        action=AccessAction.CREATE,
        object_ref=f"meeting_item:{item.pk}",
    )
    return item


@transaction.atomic
def note_save(*, actor: Actor, access: ItemAccess, text: str) -> PreparationNote:
    """The actor's own preparation note on the item: written, or changed."""
    _require_open(access.meeting.meeting)
    note, created = PreparationNote.objects.update_or_create(
        item=access.item,
        participant=access.meeting.participant,
        defaults={"text": text.strip()},
    )
    _log(
        actor=actor,
        access=access.patient,
        action=AccessAction.CREATE if created else AccessAction.UPDATE,
        object_ref=f"meeting_note:{note.pk}",
    )
    return note


@transaction.atomic
def minutes_save(*, actor: Actor, access: ItemAccess, text: str) -> Minutes:
    """The chair's minutes of the item (one text per item, kept up to date during the meeting)."""
    _require_open(access.meeting.meeting)
    minutes, created = Minutes.objects.update_or_create(
        item=access.item, defaults={"text": text.strip(), "updated_by": actor.user}
    )
    _log(
        actor=actor,
        access=access.patient,
        action=AccessAction.CREATE if created else AccessAction.UPDATE,
        object_ref=f"meeting_minutes:{minutes.pk}",
    )
    return minutes


@transaction.atomic
def agreement_add(
    *,
    actor: Actor,
    access: ItemAccess,
    text: str,
    owner: Membership | None = None,
    due_date: datetime.date | None = None,
) -> Agreement:
    _require_open(access.meeting.meeting)
    agreement = Agreement.objects.create(
        item=access.item, text=text.strip(), owner=owner, due_date=due_date, created_by=actor.user
    )
    _log(
        actor=actor,
        access=access.patient,
        action=AccessAction.CREATE,
        object_ref=f"meeting_agreement:{agreement.pk}",
    )
    return agreement


@transaction.atomic
def agreement_to_action(*, actor: Actor, access: ItemAccess, agreement: Agreement) -> Agreement:
    """Make the agreement a health-plan action of the item's patient (see ``meetings.hooks``),
    once: a second call returns the agreement with the action it already has."""
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk, item=access.item)
    if locked.plan_action_uuid is not None:
        return locked
    maker = agreement_action_maker()
    locked.plan_action_uuid = maker(actor=actor, access=access.patient, agreement=locked)
    locked.plan_action_at = timezone.now()
    locked.plan_action_by = actor.user
    locked.save(update_fields=["plan_action_uuid", "plan_action_at", "plan_action_by"])
    return locked


@transaction.atomic
def meeting_start(*, actor: Actor, access: MeetingAccess) -> Meeting:
    """Planned → in progress. Idempotent."""
    meeting = Meeting.objects.select_for_update().get(pk=access.meeting.pk)
    if meeting.status == Meeting.Status.PLANNED:
        meeting.status = Meeting.Status.HELD
        meeting.save(update_fields=["status"])
    return meeting


@transaction.atomic
def meeting_close(*, actor: Actor, access: MeetingAccess) -> Meeting:
    """Close the meeting and tell every participant that the report is ready. Closing a closed
    meeting does nothing (and sends nothing)."""
    meeting = Meeting.objects.select_for_update().get(pk=access.meeting.pk)
    if meeting.status == Meeting.Status.CLOSED:
        return meeting
    meeting.status = Meeting.Status.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save(update_fields=["status", "closed_at"])
    url = site_url() + reverse("meetings:report", args=[meeting.pk])
    for participant in participants_to_tell(meeting):
        user = participant.membership.user
        email_send(
            to=[user.email],
            template="meetings/email/report_ready",
            context={"user": user, "url": url},
            language=getattr(user, "language", "") or None,
        )
    return meeting
