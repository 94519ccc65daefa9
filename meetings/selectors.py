"""Reads of the MDO. Every function takes the actor (or the access ``meetings.access`` handed
out), so nothing here can be called for a meeting or patient nobody checked."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.levels import Capability
from accounts.models import Membership
from his.selectors import his_exports_of
from meetings.access import ITEM_DATA, MeetingAccess, meetings_of
from meetings.models import AgendaItem, Agreement, Meeting, Participant, PreparationNote
from network.access import (
    Actor,
    is_own_practice_patient,
    patients_visible_to,
    relationship_facts,
    relationship_of,
)
from network.access_log import access_log_names_shown, access_log_write
from network.models import AccessAction, CareNetworkMember, DataCategory, Patient

MEETINGS_PER_PAGE = 25


def meeting_list_for(*, actor: Actor, page=1) -> Page:
    """The actor's meetings, newest date first, one page. Names no patient (titles, dates and
    counts only), so nothing to log. A fixed number of queries however many meetings."""
    meetings = (
        meetings_of(actor)
        .select_related("organisation", "chair")
        .annotate(item_count=Count("items", distinct=True))
        .order_by("-held_at", "-pk")
    )
    return Paginator(meetings, MEETINGS_PER_PAGE).get_page(page)


@dataclass
class MeetingView:
    meeting: Meeting
    participants: list[Participant]
    items: list[AgendaItem]  # each with ``visible``; only visible ones carry their content


def meeting_view_for(
    *, actor: Actor, access: MeetingAccess, object_ref: str = "", exports: bool = False
) -> MeetingView:
    """The meeting with its agenda as ``actor`` may see it, in a fixed number of queries.

    Each item says whether the actor sees its patient now (``visible``); the content of the
    others (patient, question, notes, minutes, agreements) is dropped before the page gets it.
    Every patient the page names is logged, in one write.
    """
    meeting = access.meeting
    participants = list(
        Participant.objects.filter(meeting=meeting).select_related(
            "membership__user", "membership__organisation"
        )
    )
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .annotate(
            visible=Exists(patients_visible_to(actor).filter(pk=OuterRef("patient_id"))),
            **relationship_facts(actor, patient="patient_id"),
        )
        .select_related("patient", "minutes", "minutes__updated_by")
        .prefetch_related(
            Prefetch(
                "notes",
                queryset=PreparationNote.objects.select_related(
                    "participant__membership__user", "participant__membership__organisation"
                ),
            ),
            Prefetch(
                "agreements",
                queryset=Agreement.objects.select_related(
                    "owner__user", "owner__organisation", "plan_action_by"
                ),
            ),
        )
    )
    for item in items:
        if not item.visible:
            item.note_list, item.agreement_list, item.minutes_text = [], [], ""
            item.question = ""
            continue
        item.note_list = list(item.notes.all())
        item.agreement_list = list(item.agreements.all())
        minutes = getattr(item, "minutes", None)
        item.minutes_text = minutes.text if minutes else ""
        item.own_note = next(
            (n for n in item.note_list if n.participant_id == access.participant.pk), None
        )
        item.is_own_practice = is_own_practice_patient(actor, item.patient)
        item.exports = []
    own = {item.pk: item for item in items if item.visible and item.is_own_practice}
    if exports and own:
        for export in his_exports_of(model=AgendaItem, ids=list(own)).order_by("-created_at"):
            own[export.source_id].exports.append(export)
    shown = [
        (
            item.patient_id,
            relationship_of(
                actor,
                item.patient,
                access_granted=item.access_granted,
                in_care_network=item.in_care_network,
            ),
        )
        for item in items
        if item.visible
    ]
    access_log_names_shown(
        actor=actor,
        shown=shown,
        data=list(ITEM_DATA),
        object_ref=object_ref or f"meeting:{meeting.pk}",
    )
    return MeetingView(meeting=meeting, participants=participants, items=items)


def participant_candidates_for(*, actor: Actor, access: MeetingAccess) -> list[Membership]:
    """Who the chair may add: colleagues of the chair's organisation, and current members of
    the care network of a patient on the agenda whom the chair may see — active memberships
    that collaborate, not yet taking part."""
    agenda_patients = patients_visible_to(actor).filter(
        pk__in=AgendaItem.objects.filter(meeting=access.meeting).values("patient_id")
    )
    in_network = Exists(
        CareNetworkMember.objects.current().filter(
            patient__in=agenda_patients,
            user_id=OuterRef("user_id"),
            organisation_id=OuterRef("organisation_id"),
        )
    )
    taking_part = Participant.objects.filter(meeting=access.meeting).values("membership_id")
    memberships = (
        Membership.objects.active()
        .filter(Q(organisation_id=access.meeting.organisation_id) | in_network)
        .exclude(pk__in=taking_part)
        .select_related("user", "organisation")
        .order_by("user__first_name", "user__last_name", "organisation__name", "pk")
    )
    return [m for m in memberships if m.user.is_active and m.can(Capability.COLLABORATE)]


class PatientNotFound(Exception):
    pass


class PatientAmbiguous(Exception):
    pass


def patient_find_for(*, actor: Actor, number: str) -> Patient:
    """The one patient the actor may see with this HIS number or BSN (a search, logged as one:
    the query, not the hit). Raises :class:`PatientNotFound` or :class:`PatientAmbiguous`."""
    number = "".join(number.split())
    access_log_write(
        actor=actor,
        action=AccessAction.SEARCH,
        relationship=relationship_of(actor, None),
        data=[DataCategory.IDENTITY],
        object_ref="meeting_agenda_search",
        query=number[:100],
    )
    if not number:
        raise PatientNotFound
    found = list(patients_visible_to(actor).filter(Q(his_id=number) | Q(bsn=number))[:2])
    if not found:
        raise PatientNotFound
    if len(found) > 1:
        raise PatientAmbiguous
    return found[0]


def agreement_of(*, access, pk) -> Agreement:
    """An agreement of the agenda item ``access`` (an ``ItemAccess``) opened."""
    return Agreement.objects.select_related("owner__user", "owner__organisation").get(
        item_id=access.item.pk, pk=pk
    )


def next_order(meeting: Meeting) -> int:
    last = AgendaItem.objects.filter(meeting=meeting).order_by("-order").first()
    return (last.order + 1) if last else 1


def participants_to_tell(meeting: Meeting) -> QuerySet[Participant]:
    return Participant.objects.filter(
        meeting=meeting, membership__user__is_active=True
    ).select_related("membership__user")
