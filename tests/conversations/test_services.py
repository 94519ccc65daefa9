"""Starting conversations and sending messages: nothing lost, nothing doubled, states kept.

Actors as in ``tests/conftest.py``: the gp of De Linde, the district nurse (lead provider of
Thuiszorg Friesland, in the care network of ``shared_patient``), the physio (in no network) and
the outsider of another practice. ``colleague`` is a second district nurse; she and the nurse
read the shared inbox ``nursing_inbox``.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.http import Http404

from conversations.access import conversation_get_for, conversations_visible_to
from conversations.models import Conversation, Message, Participant, ReadState
from conversations.services.messages import (
    consultation_pick_up,
    conversation_close,
    flag_set,
    inbox_member_add,
    inbox_member_remove,
    message_send,
    read_marks_store,
    read_up_to,
)
from network.models import CareNetworkMember, CareNetworkReason
from tests.conversations.conftest import actor_for, send, start
from tests.factories import MembershipFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def network_of(patient) -> dict[str, str]:
    """Who is in the patient's care network now, by e-mail, with the reason they joined."""
    return {
        m.user.email: m.reason
        for m in CareNetworkMember.objects.current().filter(patient=patient).select_related("user")
    }


def visible_ids(user) -> set[int]:
    return set(conversations_visible_to(actor_for(user)).values_list("pk", flat=True))


# --- starting -------------------------------------------------------------------------------


def test_everyone_in_a_conversation_about_a_patient_joins_the_care_network(
    gp, nurse, physio, shared_patient
):
    conversation = start(gp, nurse, physio, patient=shared_patient)

    assert network_of(shared_patient) == {
        nurse.email: CareNetworkReason.MANUAL,  # was there already, stays as she was
        physio.email: CareNetworkReason.CONVERSATION,
    }
    member = CareNetworkMember.objects.get(patient=shared_patient, user=physio)
    assert member.reason_detail == "Wond linkervoet"
    assert member.added_by == gp
    assert visible_ids(physio) == {conversation.pk}


def test_a_conversation_without_patient_touches_no_care_network(gp, physio, shared_patient):
    conversation = start(gp, physio, subject="Scholingsavond")

    assert conversation.patient is None
    assert network_of(shared_patient) == {"wijk@thuiszorg.nl": CareNetworkReason.MANUAL}
    assert visible_ids(physio) == {conversation.pk}
    assert [m.body for m in conversation.messages.all()] == ["Wil je morgen naar de wond kijken?"]


def test_a_group_conversation_has_everyone_as_participant(gp, nurse, physio):
    conversation = start(gp, nurse, physio, subject="Overleg")

    people = set(conversation.participants.values_list("user__email", flat=True))
    assert people == {gp.email, nurse.email, physio.email}
    for user in (gp, nurse, physio):
        assert visible_ids(user) == {conversation.pk}


def test_members_of_a_shared_inbox_read_what_is_addressed_to_it(
    gp, nurse, colleague, physio, nursing_inbox
):
    conversation = start(gp, inboxes=[nursing_inbox], subject="Wie kan er maandag?")

    [inbox_participant] = conversation.participants.exclude(inbox=None)
    assert inbox_participant.inbox == nursing_inbox
    assert visible_ids(nurse) == visible_ids(colleague) == {conversation.pk}
    assert visible_ids(physio) == set()


def test_starting_the_same_form_twice_stores_one_conversation_and_one_message(gp, nurse):
    key = uuid.uuid4()
    first = start(gp, nurse, client_key=key)
    again = start(gp, nurse, client_key=key)

    assert again.pk == first.pk
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_conversation_needs_a_recipient_other_than_oneself(gp):
    with pytest.raises(ValidationError) as error:
        start(gp, gp)
    assert error.value.code == "no_recipient"
    assert not Conversation.objects.exists()


def test_an_empty_first_message_starts_nothing(gp, nurse):
    with pytest.raises(ValidationError):
        start(gp, nurse, body="   \n  ")
    assert not Conversation.objects.exists()
    assert not Participant.objects.exists()


# --- sending ------------------------------------------------------------------------------


def test_sending_twice_with_one_client_key_stores_one_message(gp, nurse):
    conversation = start(gp, nurse)
    key = uuid.uuid4()
    actor = actor_for(nurse)

    first, created = message_send(
        actor=actor, conversation=conversation, body="Ik ga morgen.", client_key=key
    )
    again, created_again = message_send(
        actor=actor, conversation=conversation, body="Ik ga morgen.", client_key=key
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert conversation.messages.filter(body="Ik ga morgen.").count() == 1
    conversation.refresh_from_db()
    assert conversation.message_count == 2
    assert conversation.last_message_id == first.pk


def test_the_same_client_key_in_another_conversation_is_another_message(gp, nurse, physio):
    one, two = start(gp, nurse), start(gp, physio)
    key = uuid.uuid4()

    send(gp, one, "Zelfde sleutel", client_key=key)
    send(gp, two, "Zelfde sleutel", client_key=key)

    assert Message.objects.filter(body="Zelfde sleutel").count() == 2


def test_empty_and_too_long_messages_are_refused_and_nothing_is_stored(gp, nurse):
    conversation = start(gp, nurse)
    for body, code in [("", "empty"), (" \r\n ", "empty"), ("x" * 100_000, "too_long")]:
        with pytest.raises(ValidationError) as error:
            send(nurse, conversation, body)
        assert error.value.code == code
    assert conversation.messages.count() == 1


def test_a_closed_conversation_refuses_new_messages_until_reopened(gp, nurse):
    conversation = start(gp, nurse)
    conversation_close(actor=actor_for(gp), conversation=conversation, closed=True)

    with pytest.raises(ValidationError) as error:
        send(nurse, conversation, "Nog één ding")
    assert error.value.code == "closed"
    assert conversation.messages.count() == 1

    conversation_close(actor=actor_for(nurse), conversation=conversation, closed=False)
    send(nurse, conversation, "Nog één ding")
    assert conversation.messages.count() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers with one database lock; races need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_of_one_client_key_store_one_message(gp, nurse):
    conversation = start(gp, nurse)
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def send_once():
        try:
            actor = actor_for(nurse)
            barrier.wait(timeout=10)
            results.append(
                message_send(
                    actor=actor, conversation=conversation, body="Tegelijk", client_key=key
                )
            )
        except Exception as exc:  # reported below; a thread must not swallow it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(created for _message, created in results) == [False, True]
    assert len({message.pk for message, _created in results}) == 1
    assert Message.objects.filter(conversation=conversation, client_key=key).count() == 1
    conversation.refresh_from_db()
    assert conversation.message_count == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers with one database lock; races need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_starts_of_one_form_store_one_conversation(gp, nurse):
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    started, errors = [], []

    def start_once():
        try:
            barrier.wait(timeout=10)
            started.append(start(gp, nurse, client_key=key).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(set(started)) == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers with one database lock; races need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_members_pressing_pick_up_at_once_leave_one_picker(gp, nurse, colleague, nursing_inbox):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation")
    barrier = threading.Barrier(2)
    pickers, errors = [], []

    def pick_up(user):
        try:
            actor = actor_for(user)
            barrier.wait(timeout=10)
            pickers.append(
                consultation_pick_up(actor=actor, conversation=consultation).picked_up_by_id
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pick_up, args=(user,)) for user in (nurse, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    consultation.refresh_from_db()
    # Both were told the same person has it: the one stored.
    assert pickers == [consultation.picked_up_by_id] * 2


# --- read state and flags -----------------------------------------------------------------


def test_read_state_moves_forward_only(gp, nurse):
    conversation = start(gp, nurse)
    first = conversation.messages.get()
    second = send(gp, conversation, "En nog iets")

    read_up_to(user=nurse, conversation=conversation, message_id=second.pk)
    read_up_to(user=nurse, conversation=conversation, message_id=first.pk)

    state = ReadState.objects.get(conversation=conversation, user=nurse)
    assert state.last_read_message_id == second.pk
    assert state.read_at is not None


def test_a_read_mark_is_one_statement_first_time_and_after(
    gp, nurse, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # One upsert that moves forward only: a socket's read mark costs one round trip, whether
    # the reader has a read state yet or not, and a lower mark changes nothing.
    conversation = start(gp, nurse)
    first = conversation.messages.get()
    second = send(gp, conversation, "En nog iets")

    with django_assert_num_queries(1), django_capture_on_commit_callbacks() as moved:
        read_up_to(user=nurse, conversation=conversation, message_id=first.pk)
    with django_assert_num_queries(1):
        read_up_to(user=nurse, conversation=conversation, message_id=second.pk + 1000)
    with django_assert_num_queries(1), django_capture_on_commit_callbacks() as unmoved:
        read_up_to(user=nurse, conversation=conversation, message_id=first.pk)

    state = ReadState.objects.get(conversation=conversation, user=nurse)
    assert state.last_read_message_id == second.pk  # not past the last message, not back
    assert (len(moved), len(unmoved)) == (1, 0)  # other pages are told only when it moved


def test_many_read_marks_are_one_statement_with_the_same_rules(
    gp, nurse, colleague, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """What a process's open pages marked read in a second: one upsert for all of them,
    forward only and never past the last message; only the marks that moved are told."""
    one = start(gp, nurse, colleague)
    other = start(gp, nurse)
    other.refresh_from_db()
    first = one.messages.get()
    second = send(gp, one, "En nog iets")
    read_up_to(user=colleague, conversation=one, message_id=second.pk)  # already further

    marks = {
        (nurse.pk, one.pk): second.pk + 1000,  # past the last message: up to the last
        (colleague.pk, one.pk): first.pk,  # backwards: stays
        (nurse.pk, other.pk): other.last_message_id,
        (gp.pk, 10**12): 5,  # no such conversation: nothing
    }
    with django_assert_num_queries(1), django_capture_on_commit_callbacks(execute=True) as told:
        moved = read_marks_store(marks)

    assert sorted(moved) == sorted([(nurse.pk, one.pk), (nurse.pk, other.pk)])
    assert len(told) == 1  # one publish for all of them
    states = {
        (s.user_id, s.conversation_id): s.last_read_message_id for s in ReadState.objects.all()
    }
    assert states[(nurse.pk, one.pk)] == second.pk
    assert states[(colleague.pk, one.pk)] == second.pk
    assert states[(nurse.pk, other.pk)] == other.last_message_id
    assert (gp.pk, 10**12) not in states


def test_the_author_has_read_their_own_message(gp, nurse):
    conversation = start(gp, nurse)
    message = send(nurse, conversation, "Gezien")

    assert ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id == (
        message.pk
    )


def test_a_flag_is_personal(gp, nurse):
    conversation = start(gp, nurse)

    flag_set(actor=actor_for(nurse), conversation=conversation, flagged=True)

    assert ReadState.objects.get(conversation=conversation, user=nurse).is_flagged
    assert not ReadState.objects.get(conversation=conversation, user=gp).is_flagged
    flag_set(actor=actor_for(nurse), conversation=conversation, flagged=False)
    assert not ReadState.objects.get(conversation=conversation, user=nurse).is_flagged


# --- consultations --------------------------------------------------------------------------


def test_a_consultation_to_one_person_is_picked_up_by_them_at_once(gp, nurse):
    consultation = start(gp, nurse, kind="consultation", subject="Vraag over insuline")

    assert consultation.state == Conversation.ConsultationState.PICKED_UP
    assert consultation.picked_up_by == nurse
    assert consultation.picked_up_at is not None


def test_a_consultation_to_a_shared_inbox_waits_until_someone_picks_it_up(
    gp, colleague, nurse, nursing_inbox
):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation")
    assert consultation.state == Conversation.ConsultationState.OPEN
    assert consultation.picked_up_by is None

    picked = consultation_pick_up(actor=actor_for(colleague), conversation=consultation)
    later = consultation_pick_up(actor=actor_for(nurse), conversation=consultation)

    assert picked.state == Conversation.ConsultationState.PICKED_UP
    assert later.picked_up_by == colleague  # the first one wins
    assert later.picked_up_at == picked.picked_up_at


def test_answering_a_consultation_marks_it_answered(gp, colleague, nursing_inbox):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation")

    send(gp, consultation, "Aanvulling van de vrager")  # the asker adding something is no answer
    consultation.refresh_from_db()
    assert consultation.state == Conversation.ConsultationState.OPEN

    send(colleague, consultation, "Ik neem hem.")
    consultation.refresh_from_db()
    assert consultation.state == Conversation.ConsultationState.ANSWERED
    assert consultation.answered_at is not None
    assert consultation.picked_up_by == colleague  # answering without pressing 'pick up'


def test_closing_and_reopening_a_consultation_restores_its_state(gp, nurse):
    consultation = start(gp, nurse, kind="consultation")
    send(nurse, consultation, "Antwoord")

    closed = conversation_close(actor=actor_for(gp), conversation=consultation, closed=True)
    assert closed.state == Conversation.ConsultationState.CLOSED
    reopened = conversation_close(actor=actor_for(gp), conversation=consultation, closed=False)
    assert reopened.state == Conversation.ConsultationState.ANSWERED
    assert reopened.closed_at is None


def test_a_closed_consultation_cannot_be_picked_up(gp, colleague, nursing_inbox):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation")
    conversation_close(actor=actor_for(gp), conversation=consultation, closed=True)

    with pytest.raises(ValidationError):
        consultation_pick_up(actor=actor_for(colleague), conversation=consultation)
    consultation.refresh_from_db()
    assert consultation.picked_up_by is None


def test_the_asker_cannot_pick_up_their_own_consultation(gp, nursing, nursing_inbox):
    # A member of the inbox asks the inbox: someone else must pick it up.
    asker = UserFactory(first_name="Vraag", last_name="Steller")
    MembershipFactory(user=asker, organisation=nursing)
    inbox_member_add(inbox=nursing_inbox, user=asker, added_by=asker)
    consultation = start(asker, inboxes=[nursing_inbox], kind="consultation")

    with pytest.raises(ValidationError):
        consultation_pick_up(actor=actor_for(asker), conversation=consultation)
    consultation.refresh_from_db()
    assert consultation.picked_up_by is None
    assert consultation.state == Conversation.ConsultationState.OPEN


def test_an_inbox_member_who_answers_about_a_patient_joins_conversation_and_network(
    gp, colleague, nursing_inbox, shared_patient
):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation", patient=shared_patient)
    assert colleague.email not in network_of(shared_patient)

    send(colleague, consultation, "Ik ga langs.")

    assert network_of(shared_patient)[colleague.email] == CareNetworkReason.CONVERSATION
    assert consultation.participants.filter(user=colleague).exists()


# --- shared inbox membership ---------------------------------------------------------------


def test_a_new_inbox_member_sees_the_history(gp, nurse, nursing_inbox, nursing):
    conversation = start(gp, inboxes=[nursing_inbox])
    send(nurse, conversation, "Eerder antwoord")
    newcomer = UserFactory(first_name="Nieuwe", last_name="Collega")
    MembershipFactory(user=newcomer, organisation=nursing)

    inbox_member_add(inbox=nursing_inbox, user=newcomer, added_by=nurse)

    seen = conversation_get_for(actor=actor_for(newcomer), pk=conversation.pk)
    assert [m.body for m in seen.messages.all()] == [
        "Wil je morgen naar de wond kijken?",
        "Eerder antwoord",
    ]


def test_a_removed_inbox_member_loses_access_at_once(gp, colleague, nursing_inbox):
    conversation = start(gp, inboxes=[nursing_inbox])
    conversation_get_for(actor=actor_for(colleague), pk=conversation.pk)

    inbox_member_remove(inbox=nursing_inbox, user=colleague)

    with pytest.raises(Http404):
        conversation_get_for(actor=actor_for(colleague), pk=conversation.pk)
    assert visible_ids(colleague) == set()


def test_a_member_who_answered_for_the_inbox_loses_the_conversation_on_leaving_it(
    gp, colleague, nursing_inbox, shared_patient
):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation", patient=shared_patient)
    send(colleague, consultation, "Ik ga langs.")
    assert consultation.pk in visible_ids(colleague)

    inbox_member_remove(inbox=nursing_inbox, user=colleague)

    assert consultation.pk not in visible_ids(colleague)
    # What she wrote stays in the conversation, and she stays in the care network.
    assert consultation.messages.filter(author=colleague).exists()
    assert network_of(shared_patient)[colleague.email] == CareNetworkReason.CONVERSATION


def test_a_member_who_comes_back_to_the_inbox_can_answer_again(
    gp, nurse, colleague, nursing_inbox, shared_patient
):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation", patient=shared_patient)
    send(colleague, consultation, "Eerste keer.")
    inbox_member_remove(inbox=nursing_inbox, user=colleague)
    inbox_member_add(inbox=nursing_inbox, user=colleague, added_by=nurse)

    send(colleague, consultation, "Weer terug.")

    assert consultation.pk in visible_ids(colleague)
    assert consultation.participants.filter(user=colleague, left_at__isnull=True).count() == 1


def test_someone_addressed_in_person_keeps_the_conversation_when_leaving_an_inbox(
    gp, nurse, nursing_inbox, shared_patient
):
    conversation = start(gp, nurse, inboxes=[nursing_inbox], patient=shared_patient)
    send(nurse, conversation, "Ik pak het op.")

    inbox_member_remove(inbox=nursing_inbox, user=nurse)

    assert conversation.pk in visible_ids(nurse)


def test_an_inbox_member_reaches_a_patient_conversation_only_while_the_patient_is_visible(
    gp, nurse, nursing_inbox, practice
):
    other_patient = PatientFactory(practice=practice, is_visible=True)
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation", patient=other_patient)
    # Not in this patient's care network: she reads it through the inbox of her organisation.
    assert nurse.email not in network_of(other_patient)
    assert consultation.pk in visible_ids(nurse)

    other_patient.is_visible = False
    other_patient.save(update_fields=["is_visible"])

    assert consultation.pk not in visible_ids(nurse)
