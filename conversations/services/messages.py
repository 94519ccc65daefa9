"""Starting conversations and sending messages: no message lost, none doubled.

Every send carries a client key (a UUID the page generated when it rendered the form). The key is
unique per conversation, so a double click, a resend after a network error or two concurrent
sends of the same form store one message. The database is the source of truth; live pushes and
e-mail go out only after commit (``transaction.on_commit``), and a client that missed a push
catches up by asking for everything after the last message id it has.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from conversations import realtime
from conversations.access import can_message
from conversations.models import (
    Conversation,
    Message,
    Participant,
    ReadState,
    SharedInbox,
    SharedInboxMember,
)
from network.access import Actor, PatientAccess
from network.models import CareNetworkReason
from network.services import care_network_add, patient_visibility_set

MAX_RECIPIENTS = 20


def _clean_body(body: str, *, allow_empty: bool = False) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text and not allow_empty:
        raise ValidationError(_("Write a message."), code="empty")
    if len(text) > settings.MESSAGE_MAX_CHARS:
        raise ValidationError(
            _("A message can be at most %(max)s characters; this one has %(n)s.")
            % {"max": settings.MESSAGE_MAX_CHARS, "n": len(text)},
            code="too_long",
        )
    return text


def _join_care_network(
    *, actor: Actor, conversation: Conversation, memberships: list[Membership]
) -> None:
    """Everyone taking part in a conversation about a patient joins the care network."""
    if conversation.patient_id is None:
        return
    for membership in memberships:
        if membership.organisation_id == conversation.patient.practice_id:
            continue  # the practice's own staff need no network membership
        try:
            care_network_add(
                actor=actor,
                patient=conversation.patient,
                membership=membership,
                reason=CareNetworkReason.CONVERSATION,
                reason_detail=conversation.subject[:200],
            )
        except ValidationError:
            continue  # cannot join (e.g. the care group's helpdesk): takes part without access


def _access_request_fields(actor: Actor, people, patient, access_request: bool) -> dict:
    """A partner asks a practice for access to a patient (a conversation without patient)."""
    if not access_request:
        return {}
    practices = {m.organisation_id for m in people if m.organisation.is_gp_practice}
    if patient is not None or len(practices) != 1:
        raise ValidationError(
            _("Send an access request to people of one GP practice, without a patient."),
            code="access_request",
        )
    return {"access_request_practice_id": practices.pop(), "access_request_by": actor.membership}


@transaction.atomic
def conversation_start(
    *,
    actor: Actor,
    kind: str,
    subject: str,
    body: str,
    client_key: uuid.UUID,
    people: list[Membership] = (),
    inboxes: list[SharedInbox] = (),
    patient_access: PatientAccess | None = None,
    make_visible: bool = False,
    files=(),
    access_request: bool = False,
) -> Conversation:
    """Start a conversation (or consultation) with its first message.

    Idempotent on the first message's client key: the same form sent twice returns the
    conversation created the first time. A consultation to one person is picked up by them at
    once; to a shared inbox someone must pick it up.
    """
    if not can_message(actor):
        raise PermissionDenied
    people = [m for m in people if m.user_id != actor.user.pk]
    if not people and not inboxes:
        raise ValidationError(_("Choose at least one recipient."), code="no_recipient")
    if len(people) + len(inboxes) > MAX_RECIPIENTS:
        raise ValidationError(_("Too many recipients."), code="too_many")
    if kind not in Conversation.Kind.values:
        raise ValidationError(_("Unknown kind of conversation."))
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError(_("Give a subject."), code="no_subject")
    text = _clean_body(body, allow_empty=bool(files))

    # One start per person at a time, so the same form sent twice cannot make two.
    User.objects.select_for_update().filter(pk=actor.user.pk).first()
    earlier = (
        Message.objects.filter(author_id=actor.user.pk, client_key=client_key)
        .select_related("conversation")
        .first()
    )
    if earlier is not None:
        return earlier.conversation

    patient = patient_access.patient if patient_access else None
    if patient is not None and make_visible and not patient.is_visible:
        patient = patient_visibility_set(actor=actor, access=patient_access, visible=True)
    consultation = kind == Conversation.Kind.CONSULTATION
    single_person = consultation and len(people) == 1 and not inboxes
    conversation = Conversation.objects.create(
        kind=kind,
        subject=subject[:200],
        patient=patient,
        created_by=actor.user,
        created_for=actor.membership.organisation,
        state=(
            Conversation.ConsultationState.PICKED_UP
            if single_person
            else Conversation.ConsultationState.OPEN
            if consultation
            else ""
        ),
        picked_up_by=people[0].user if single_person else None,
        picked_up_at=timezone.now() if single_person else None,
        **_access_request_fields(actor, people, patient, access_request),
    )
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, user=actor.user, organisation=actor.organisation)]
        + [
            Participant(conversation=conversation, user=m.user, organisation=m.organisation)
            for m in people
        ]
        + [
            Participant(conversation=conversation, inbox=inbox, organisation=inbox.organisation)
            for inbox in inboxes
        ]
    )
    _join_care_network(
        actor=actor, conversation=conversation, memberships=[actor.membership, *people]
    )
    message_send(
        actor=actor, conversation=conversation, body=text, client_key=client_key, files=files
    )
    return conversation


def message_send(
    *, actor: Actor, conversation: Conversation, body: str, client_key: uuid.UUID, files=()
) -> tuple[Message, bool]:
    """Store a message; returns (message, created). Idempotent on (conversation, client_key).

    The conversation row is locked while sending, so messages get ids in the order they were
    stored and two sends of one key never both pass the check. Pushed live and mailed after commit.
    """
    text = _clean_body(body, allow_empty=bool(files))
    try:
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
            existing = Message.objects.filter(conversation=locked, client_key=client_key).first()
            if existing is not None:
                return existing, False
            if locked.is_closed:
                raise ValidationError(
                    _("This conversation is closed. Open it again to reply."), code="closed"
                )
            message = Message.objects.create(
                conversation=locked,
                author=actor.user,
                author_organisation=actor.organisation,
                body=text,
                client_key=client_key,
            )
            from conversations.services.attachments import attachments_store

            # The push is rendered from what was just written (author and organisation are the
            # actor's, the attachments those stored here): no second read of the new row.
            message.attachments_stored(attachments_store(message=message, files=files))
            previous_id = locked.last_message_id or 0
            _after_message(actor=actor, conversation=locked, message=message)
            transaction.on_commit(realtime.message_created(message, previous_id=previous_id))
            return message, True
    except IntegrityError:
        # Two sends of the same key raced past the check on a database without row locks.
        existing = Message.objects.filter(conversation=conversation, client_key=client_key).first()
        if existing is None:
            raise
        return existing, False


def _after_message(*, actor: Actor, conversation: Conversation, message: Message) -> None:
    now = message.created_at
    updates = {
        "last_message_at": now,
        "last_message_id": message.pk,
        "message_count": conversation.message_count + 1,
    }
    waiting = (Conversation.ConsultationState.OPEN, Conversation.ConsultationState.PICKED_UP)
    if (
        conversation.is_consultation
        and message.author_id != conversation.created_by_id
        and conversation.state in waiting
    ):
        updates["state"] = Conversation.ConsultationState.ANSWERED
        updates["answered_at"] = now
        if conversation.picked_up_by_id is None:
            updates["picked_up_by_id"] = actor.user.pk
            updates["picked_up_at"] = now
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    for name, value in updates.items():
        setattr(conversation, name, value)
    # The author's own mark: their other pages hear of it from the message's push (the author
    # reads the conversation, so gets its inbox push), not from a second publish.
    read_up_to(user=actor.user, conversation=conversation, message_id=message.pk, announce=False)
    if (
        conversation.patient_id
        and not Participant.objects.filter(
            conversation=conversation, user_id=actor.user.pk, left_at__isnull=True
        ).exists()
    ):
        # Someone answering through a shared inbox joins the conversation and the network, for
        # as long as they are in that inbox.
        via = (
            Participant.objects.filter(
                conversation=conversation,
                left_at__isnull=True,
                inbox__members__user_id=actor.user.pk,
            )
            .values_list("inbox_id", flat=True)
            .first()
        )
        Participant.objects.update_or_create(
            conversation=conversation,
            user=actor.user,
            defaults={
                "organisation": actor.organisation,
                "left_at": None,
                "joined_via_inbox_id": via,
            },
        )
        _join_care_network(actor=actor, conversation=conversation, memberships=[actor.membership])


def read_up_to(*, user, conversation: Conversation, message_id: int, announce: bool = True) -> None:
    """Mark the conversation read up to ``message_id`` for ``user``: never backwards, and never
    past the last message, so a message that comes later is not read unseen.

    One statement, an upsert that only moves the mark forward: concurrent marks (two tabs, a
    page and a socket) cannot move it back, and a read mark costs one round trip. The reader's
    other pages hear of it only when it moved (``announce``: unless the caller's own push tells
    them)."""
    if message_id <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO conversations_readstate "
            "(conversation_id, user_id, last_read_message_id, read_at, is_flagged) "
            "SELECT c.id, %s, CASE WHEN c.last_message_id < %s THEN c.last_message_id ELSE %s END,"
            " %s, false "
            "FROM conversations_conversation c WHERE c.id = %s AND c.last_message_id > 0 "
            "ON CONFLICT (conversation_id, user_id) DO UPDATE SET "
            "last_read_message_id = excluded.last_read_message_id, read_at = excluded.read_at "
            "WHERE conversations_readstate.last_read_message_id < excluded.last_read_message_id "
            "RETURNING 1",
            [
                user.pk,
                message_id,
                message_id,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                conversation.pk,
            ],
        )
        moved = cursor.fetchone() is not None
    if moved and announce:
        transaction.on_commit(lambda: realtime.read_changed(user.pk, conversation.pk))


def read_marks_store(marks: dict[tuple[int, int], int]) -> list[tuple[int, int]]:
    """Many read marks, ``{(user id, conversation id): message id}``, in one statement with the
    rules of ``read_up_to`` (never backwards, never past the last message): what a process's
    open pages marked read in the last second. Only the sockets' subscribed conversations come
    here (authorised when subscribed). Returns the (user, conversation) marks that moved; their
    readers' other pages hear of it after commit, in one publish."""
    marks = {key: message_id for key, message_id in marks.items() if message_id > 0}
    if not marks:
        return []
    values = ", ".join(["(%s, %s, %s)"] * len(marks))
    params: list = []
    for (user_id, conversation_id), message_id in sorted(marks.items()):
        params += [user_id, conversation_id, message_id]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # Only placeholders are put into the text; the values go as parameters.
    sql = (
        "INSERT INTO conversations_readstate "  # noqa: S608
        "(conversation_id, user_id, last_read_message_id, read_at, is_flagged) "
        "SELECT c.id, m.column1, CASE WHEN c.last_message_id < m.column3 "
        "THEN c.last_message_id ELSE m.column3 END, %s, false "
        f"FROM (VALUES {values}) AS m "
        "JOIN conversations_conversation c ON c.id = m.column2 "
        "WHERE c.last_message_id > 0 "
        "ON CONFLICT (conversation_id, user_id) DO UPDATE SET "
        "last_read_message_id = excluded.last_read_message_id, read_at = excluded.read_at "
        "WHERE conversations_readstate.last_read_message_id < excluded.last_read_message_id "
        "RETURNING user_id, conversation_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *params])
        moved = [(row[0], row[1]) for row in cursor.fetchall()]
    if moved:
        transaction.on_commit(lambda: realtime.reads_changed(moved))
    return moved


def flag_set(*, actor: Actor, conversation: Conversation, flagged: bool) -> None:
    ReadState.objects.update_or_create(
        conversation=conversation, user=actor.user, defaults={"is_flagged": flagged}
    )


@transaction.atomic
def conversation_close(*, actor: Actor, conversation: Conversation, closed: bool) -> Conversation:
    """Close (archive) or reopen for everyone. A closed consultation is in state 'closed'."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if closed and locked.closed_at is None:
        locked.closed_at, locked.closed_by = timezone.now(), actor.user
        if locked.is_consultation:
            locked.state = Conversation.ConsultationState.CLOSED
    elif not closed and locked.closed_at is not None:
        locked.closed_at, locked.closed_by = None, None
        if locked.is_consultation:
            locked.state = (
                Conversation.ConsultationState.ANSWERED
                if locked.answered_at
                else Conversation.ConsultationState.PICKED_UP
                if locked.picked_up_by_id
                else Conversation.ConsultationState.OPEN
            )
    locked.save(update_fields=["closed_at", "closed_by", "state"])
    transaction.on_commit(lambda: realtime.conversation_changed(locked.pk))
    return locked


def consultation_can_pick_up(*, actor: Actor, conversation: Conversation) -> bool:
    """An open consultation nobody picked up yet, asked by someone else."""
    return (
        conversation.is_consultation
        and not conversation.is_closed
        and conversation.picked_up_by_id is None
        and conversation.created_by_id != actor.user.pk
    )


@transaction.atomic
def consultation_pick_up(*, actor: Actor, conversation: Conversation) -> Conversation:
    """Take an open consultation sent to a shared inbox. The first one wins; idempotent."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not locked.is_consultation or locked.is_closed:
        raise ValidationError(_("Only an open consultation can be picked up."))
    if locked.created_by_id == actor.user.pk:
        raise ValidationError(_("You asked this consultation; someone else picks it up."))
    if locked.picked_up_by_id is None:
        locked.picked_up_by, locked.picked_up_at = actor.user, timezone.now()
        if locked.state == Conversation.ConsultationState.OPEN:
            locked.state = Conversation.ConsultationState.PICKED_UP
        locked.save(update_fields=["picked_up_by", "picked_up_at", "state"])
        transaction.on_commit(lambda: realtime.conversation_changed(locked.pk))
    return locked


@transaction.atomic
def inbox_create(*, actor: Actor, name: str, team=None) -> SharedInbox:
    """A new shared inbox of the actor's organisation; the creator is its first member."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the inbox a name."))
    organisation = actor.membership.organisation
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationError(_("Choose a team of your own organisation."))
    if SharedInbox.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError(_("Your organisation already has an inbox with this name."))
    inbox = SharedInbox.objects.create(organisation=organisation, team=team, name=name[:200])
    SharedInboxMember.objects.create(inbox=inbox, user=actor.user, added_by=actor.user)
    return inbox


@transaction.atomic
def inbox_member_add(*, inbox: SharedInbox, user, added_by) -> SharedInboxMember:
    member, _created = SharedInboxMember.objects.get_or_create(
        inbox=inbox, user=user, defaults={"added_by": added_by}
    )
    return member


@transaction.atomic
def inbox_member_remove(*, inbox: SharedInbox, user) -> None:
    """Access ends at once: the row goes, conversations they joined by answering for this inbox
    are left, and open websockets are told to leave. Their care-network membership stays (they
    did take part in the care); the practice or they themselves can end it."""
    SharedInboxMember.objects.filter(inbox=inbox, user=user).delete()
    Participant.objects.filter(user=user, joined_via_inbox=inbox, left_at__isnull=True).update(
        left_at=timezone.now()
    )
    transaction.on_commit(lambda: realtime.access_changed(user.pk))


@transaction.atomic
def access_request_grant(
    *, actor: Actor, conversation: Conversation, patient_access: PatientAccess
) -> Conversation:
    """The practice grants a partner's request for access to one of its patients.

    The requester joins the patient's care network, the patient becomes visible to the network,
    and the conversation is from now on about that patient. Only the practice's own staff.
    """
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if (
        locked.access_request_by_id is None
        or locked.access_granted_at is not None
        or not patient_access.is_own_practice
        or patient_access.patient.practice_id != locked.access_request_practice_id
    ):
        raise PermissionDenied
    requester = Membership.objects.select_related("user", "organisation").get(
        pk=locked.access_request_by_id
    )
    care_network_add(
        actor=actor,
        patient=patient_access.patient,
        membership=requester,
        reason=CareNetworkReason.CONVERSATION,
        reason_detail=_("Access request: %(subject)s") % {"subject": locked.subject[:150]},
    )
    if not patient_access.patient.is_visible:
        patient_visibility_set(actor=actor, access=patient_access, visible=True)
    locked.patient = patient_access.patient
    locked.access_granted_at = timezone.now()
    locked.save(update_fields=["patient", "access_granted_at"])
    message_send(
        actor=actor,
        conversation=locked,
        body=_("Access granted: you can now see this patient in Regiozorg."),
        client_key=uuid.uuid5(uuid.NAMESPACE_URL, f"access-granted:{locked.pk}"),
    )
    return locked
