"""Who may see which conversation. The one place that decides it for this app.

A person sees a conversation when they take part in it — themselves, or through a shared inbox
they are a member of now. For a conversation about a patient the patient rule of
``network.access`` applies on top: they must be able to see the patient (own practice, or
visible and in the care network), or reach the conversation through a shared inbox of the
organisation they act for while the practice has made the patient visible (whoever of the
inbox answers then joins the care network). Same 404 for "missing" and "not yours".
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.levels import Capability
from conversations.models import Conversation, Participant, SharedInbox, SharedInboxMember
from network.access import (
    Actor,
    collaborates,
    patients_visible_to,
    relationship_facts,
    relationship_of,
)
from network.access_log import LogLine, access_log_names_shown, access_log_write_many
from network.models import AccessAction, DataCategory

__all__ = [
    "Actor",
    "can_message",
    "conversation_get_for",
    "conversations_visible_to",
    "recipients_could_not_read",
]


def can_message(actor: Actor) -> bool:
    membership = actor.membership
    return (
        membership is not None
        and getattr(actor.user, "is_authenticated", False)
        and actor.user.is_active
        and membership.user_id == actor.user.pk
        and membership.can(Capability.MESSAGES)
    )


def _inbox_ids(actor: Actor, *, organisation_only: bool = False) -> QuerySet:
    members = SharedInboxMember.objects.filter(user_id=actor.user.pk, inbox__is_active=True)
    if organisation_only:
        members = members.filter(inbox__organisation_id=actor.membership.organisation_id)
    return members.values("inbox_id")


def _via_own_inbox(actor: Actor) -> Exists:
    """A shared inbox of the acting organisation that the actor is in takes part."""
    return Exists(
        Participant.objects.filter(
            conversation=OuterRef("pk"),
            left_at__isnull=True,
            inbox_id__in=_inbox_ids(actor, organisation_only=True),
        )
    )


def conversations_visible_to(actor: Actor) -> QuerySet[Conversation]:
    """The conversations ``actor`` may open, as one queryset filter."""
    if not can_message(actor):
        return Conversation.objects.none()
    current = Participant.objects.filter(conversation=OuterRef("pk"), left_at__isnull=True)
    takes_part = Exists(
        current.filter(Q(user_id=actor.user.pk) | Q(inbox_id__in=_inbox_ids(actor)))
    )
    via_own_inbox = _via_own_inbox(actor)
    patient_rule = Q(patient__isnull=True)
    if collaborates(actor):
        patient_rule |= Q(patient__in=patients_visible_to(actor).values("pk"))
        patient_rule |= Q(patient__is_visible=True) & via_own_inbox
    return Conversation.objects.filter(takes_part).filter(patient_rule)


def with_relationship_facts(conversations: QuerySet[Conversation], actor: Actor) -> QuerySet:
    """``conversations`` with what the access log needs to name the actor's relationship to
    each one's patient, in the same query (see :func:`network.access.relationship_facts`)."""
    if not can_message(actor):
        return conversations
    return conversations.annotate(
        **relationship_facts(actor, patient="patient_id"),
        via_shared_inbox=_via_own_inbox(actor),
    )


def conversation_get_for(*, actor: Actor, pk, log: bool = True) -> Conversation:
    """The conversation, or 404. Opening one about a patient is logged (NEN 7513)."""
    try:
        conversation = with_relationship_facts(
            conversations_visible_to(actor).select_related(
                "patient", "patient__practice", "created_by", "picked_up_by"
            ),
            actor,
        ).get(pk=pk)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if log:
        conversation_log_read(actor=actor, conversation=conversation)
    return conversation


def _relationship(actor: Actor, conversation: Conversation) -> str:
    """Asked of ``network.access.relationship_of``; this app only adds whether a shared inbox
    of the actor's organisation takes part (read from :func:`with_relationship_facts`'
    annotations when the conversation has them, else looked up)."""
    via_inbox = getattr(conversation, "via_shared_inbox", None)
    if via_inbox is None:
        via_inbox = (
            Conversation.objects.filter(pk=conversation.pk).filter(_via_own_inbox(actor)).exists()
        )
    return relationship_of(
        actor,
        conversation.patient,
        access_granted=getattr(conversation, "access_granted", None),
        in_care_network=getattr(conversation, "in_care_network", None),
        via_shared_inbox=via_inbox,
    )


def conversation_log_read(
    *,
    actor: Actor,
    conversation: Conversation,
    object_ref: str = "",
    listed=(),
    listed_ref: str = "",
) -> None:
    """Looking at a conversation about a patient is looking at patient data (NEN 7513).

    A page that also names the patients of other conversations (the inbox list beside the open
    conversation: ``listed``, logged as ``listed_ref``) logs them in the same write, as
    :func:`conversations_log_listed` would."""
    lines = []
    if conversation.patient_id:
        lines.append(
            LogLine(
                action=AccessAction.READ,
                relationship=_relationship(actor, conversation),
                patient_id=conversation.patient_id,
                object_ref=object_ref or f"conversation:{conversation.pk}",
            )
        )
    lines += [
        LogLine(
            action=AccessAction.READ,
            relationship=relationship,
            patient_id=patient_id,
            data=_LISTED_DATA,
            object_ref=listed_ref,
        )
        for patient_id, relationship in conversations_names_shown(actor=actor, conversations=listed)
    ]
    if lines:
        access_log_write_many(actor=actor, lines=lines)


def conversations_names_shown(*, actor: Actor, conversations) -> list[tuple[int, str]]:
    """(patient id, relationship) for each of ``conversations`` about a patient: what the
    access log records for a list that names them (rows from :func:`with_relationship_facts`
    need no query)."""
    return [(c.patient_id, _relationship(actor, c)) for c in conversations if c.patient_id]


_LISTED_DATA = (DataCategory.IDENTITY, "conversation")


def conversations_log_listed(*, actor: Actor, conversations, object_ref: str) -> None:
    """An inbox page names the patient of each conversation about one: one entry per patient
    shown, in one write (``conversations`` come with their patient)."""
    access_log_names_shown(
        actor=actor,
        shown=conversations_names_shown(actor=actor, conversations=conversations),
        data=_LISTED_DATA,
        object_ref=object_ref,
    )


def recipients_could_not_read(*, patient_access, people, inboxes, make_visible: bool) -> bool:
    """Whether a conversation about this patient would go to someone who could not read it:
    the practice has not made the patient visible to network partners (nor does so now), and
    a chosen person or shared inbox belongs to another organisation than the patient's
    practice. ``people`` are memberships, ``inboxes`` shared inboxes."""
    if patient_access is None or patient_access.patient.is_visible or make_visible:
        return False
    practice = patient_access.patient.practice_id
    chosen = [m.organisation_id for m in people] + [i.organisation_id for i in inboxes]
    return any(organisation != practice for organisation in chosen)


def can_manage_inboxes(actor: Actor) -> bool:
    """Level A of a practice or a lead provider manages their organisation's shared inboxes."""
    membership = actor.membership
    return can_message(actor) and (
        membership.can(Capability.MANAGE_STAFF) or membership.can(Capability.INVITE_COLLEAGUES)
    )


def inboxes_managed_by(actor: Actor) -> QuerySet[SharedInbox]:
    if not can_manage_inboxes(actor):
        return SharedInbox.objects.none()
    return SharedInbox.objects.filter(organisation_id=actor.membership.organisation_id)


def inbox_get_for(*, actor: Actor, pk) -> SharedInbox:
    try:
        return inboxes_managed_by(actor).select_related("organisation", "team").get(pk=pk)
    except (SharedInbox.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
