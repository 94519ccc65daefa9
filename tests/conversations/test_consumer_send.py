"""Sending over the live socket (``{"type": "send"}``): the composer's form POST without the page
request. The same form rules and Dutch messages, the same service, the same idempotency on the
client key, and one rendered push for everyone subscribed — the sender's other tabs included.

Runs the real ASGI application through ``WebsocketCommunicator``, as ``test_consumers.py`` does
(see its docstring for why there is no pytest-asyncio and what ``QUIET`` means).
"""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from conversations.models import Message
from conversations.services.messages import conversation_close
from tests.conversations.conftest import actor_for, send, start
from tests.conversations.test_consumers import WAIT, connected, db, ids

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cookie_of(secure_client):
    from django.test import Client

    from tests.conversations.test_consumers import cookie_header

    return lambda user: cookie_header(secure_client(user, client=Client()))


@pytest.fixture
def conversation(gp, nurse):
    """The GP and the district nurse, without a patient; its first message is stored."""
    conversation = start(gp, nurse, subject="Huisbezoek dinsdag")
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def patient_conversation(gp, nurse, shared_patient):
    conversation = start(gp, nurse, patient=shared_patient, subject="Wond linkervoet")
    conversation.refresh_from_db()
    return conversation


def stored(conversation) -> list[str]:
    return list(conversation.messages.order_by("pk").values_list("body", flat=True))


def send_frame(conversation_id: int, body: str, key: str | None = None, **extra) -> dict:
    return {
        "type": "send",
        "conversation": conversation_id,
        "body": body,
        "client_key": key or str(uuid.uuid4()),
        **extra,
    }


# --- A send is stored, acked and pushed once ---------------------------------------------------


def test_send_is_stored_acked_with_its_id_and_pushed_to_the_other_participant(
    gp, nurse, patient_conversation, cookie_of
):
    conversation = patient_conversation
    gp_cookie, nurse_cookie = cookie_of(gp), cookie_of(nurse)
    key = str(uuid.uuid4())

    async def scenario():
        async with connected(gp_cookie) as mine, connected(nurse_cookie) as theirs:
            await mine.subscribe(conversation.pk, after=conversation.last_message_id)
            await theirs.subscribe(conversation.pk, after=conversation.last_message_id)
            await mine.send(**send_frame(conversation.pk, "Kun je morgen de wond bekijken?", key))
            ack = await mine.next("sent")
            pushed = await theirs.next("message")
            return ack, pushed, await mine.rest(), await theirs.rest()

    ack, pushed, mine_rest, theirs_rest = async_to_sync(scenario)()

    message = Message.objects.get(conversation=conversation, client_key=key)
    assert message.body == "Kun je morgen de wond bekijken?"
    assert message.author == gp
    assert ack["conversation"] == conversation.pk
    assert ack["client_key"] == key
    assert ack["message"] == message.pk
    # The composer's next message gets a fresh key, as the htmx POST's fresh form gives it.
    assert uuid.UUID(ack["next_client_key"]) != uuid.UUID(key)
    assert pushed["id"] == message.pk
    assert "Kun je morgen de wond bekijken?" in pushed["html"]
    assert pushed["previous"] == conversation.last_message_id
    # The sender's own page gets the one push too (it is subscribed), nothing doubled.
    assert ids(mine_rest) == [message.pk]
    assert ids(theirs_rest) == []


def test_the_senders_other_tab_receives_the_message(gp, nurse, conversation, cookie_of):
    cookie = cookie_of(gp)  # one browser, two tabs: the same session

    async def scenario():
        async with connected(cookie) as tab, connected(cookie) as other_tab:
            await tab.subscribe(conversation.pk, after=conversation.last_message_id)
            await other_tab.subscribe(conversation.pk, after=conversation.last_message_id)
            await tab.send(**send_frame(conversation.pk, "Uit het eerste tabblad"))
            ack = await tab.next("sent")
            pushed = await other_tab.next("message")
            return ack, pushed, await other_tab.rest()

    ack, pushed, rest = async_to_sync(scenario)()
    assert pushed["id"] == ack["message"]
    assert "Uit het eerste tabblad" in pushed["html"]
    assert ids(rest) == []
    assert stored(conversation)[-1] == "Uit het eerste tabblad"


# --- Idempotent on the client key ---------------------------------------------------------------


def test_the_same_client_key_twice_stores_one_message_and_acks_the_same_id_twice(
    gp, nurse, conversation, cookie_of
):
    cookie = cookie_of(gp)
    key = str(uuid.uuid4())

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await socket.send(**send_frame(conversation.pk, "Dubbel geklikt", key))
            await socket.send(**send_frame(conversation.pk, "Dubbel geklikt", key))
            # Every frame until both acks: the push may come before, between or after them.
            frames = []
            while [f["type"] for f in frames].count("sent") < 2:
                frames.append(await socket.comm.receive_json_from(timeout=WAIT))
            first, second = [f for f in frames if f["type"] == "sent"]
            return first, second, [*frames, *await socket.rest()]

    first, second, frames = async_to_sync(scenario)()
    assert first["message"] == second["message"]
    assert stored(conversation).count("Dubbel geklikt") == 1
    assert ids(frames) == [first["message"]]  # pushed once


def test_a_resend_after_reconnecting_stores_one_message(gp, nurse, conversation, cookie_of):
    """The ack was lost with the connection: the page resends the same key on a new socket."""
    cookie = cookie_of(gp)
    key = str(uuid.uuid4())

    async def scenario():
        async with connected(cookie) as socket:
            await socket.send(**send_frame(conversation.pk, "Verbinding viel weg", key))
            first = await socket.next("sent")
        async with connected(cookie) as socket:
            await socket.send(**send_frame(conversation.pk, "Verbinding viel weg", key))
            second = await socket.next("sent")
        return first, second

    first, second = async_to_sync(scenario)()
    assert first["message"] == second["message"]
    assert stored(conversation).count("Verbinding viel weg") == 1


def test_the_form_post_after_a_socket_send_of_the_same_key_stores_nothing_more(
    login, gp, nurse, conversation
):
    """The composer falls back to the form with the same key when no ack arrives in time."""
    from django.urls import reverse

    from tests.conversations.test_consumers import cookie_header

    client = login(gp)  # one login (a TOTP code is used once): the page and its socket
    cookie = cookie_header(client)
    key = str(uuid.uuid4())

    async def scenario():
        async with connected(cookie) as socket:
            await socket.send(**send_frame(conversation.pk, "Via de socket", key))
            return await socket.next("sent")

    ack = async_to_sync(scenario)()
    response = client.post(
        reverse("conversations:message-create", args=[conversation.pk]),
        {"body": "Via de socket", "client_key": key},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#message-{ack['message']}")
    assert stored(conversation).count("Via de socket") == 1


# --- Refused as the form POST refuses: a Dutch error frame, nothing stored, socket open ---------


def refused(cookie, frame: dict, *, subscribe: int | None = None) -> tuple[dict, dict]:
    """Send ``frame``; returns the error frame and the answer to a ping sent after it (the
    socket is still open and still answers)."""

    async def scenario():
        async with connected(cookie) as socket:
            if subscribe:
                await socket.subscribe(subscribe)
            await socket.send(**frame)
            error = await socket.next("error")
            await socket.send(type="ping", away=False)
            return error, await socket.next("pong")

    return async_to_sync(scenario)()


def test_an_empty_message_is_refused_in_dutch(gp, nurse, conversation, cookie_of):
    frame = send_frame(conversation.pk, "  \n ")
    error, pong = refused(cookie_of(nurse), frame, subscribe=conversation.pk)
    assert error == {
        "type": "error",
        "conversation": conversation.pk,
        "client_key": frame["client_key"],
        "error": "Schrijf een bericht.",
    }
    assert pong == {"type": "pong"}
    assert stored(conversation) == ["Wil je morgen naar de wond kijken?"]


def test_an_oversized_text_is_refused_in_dutch(gp, nurse, conversation, cookie_of):
    too_long = settings.MESSAGE_MAX_CHARS + 1
    error, _pong = refused(
        cookie_of(nurse), send_frame(conversation.pk, "a" * too_long), subscribe=conversation.pk
    )
    # The form's own message, as the POST shows it.
    assert error["error"] == (
        f"Een bericht mag maximaal {settings.MESSAGE_MAX_CHARS} tekens hebben "
        f"(dit bericht heeft er {too_long})."
    )
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_a_closed_conversation_refuses_in_dutch(gp, nurse, conversation, cookie_of):
    conversation_close(actor=actor_for(gp), conversation=conversation, closed=True)
    error, _pong = refused(
        cookie_of(nurse), send_frame(conversation.pk, "Nog een vraag"), subscribe=conversation.pk
    )
    assert error["error"] == "Dit gesprek is gesloten. Open het opnieuw om te antwoorden."
    assert stored(conversation) == ["Wil je morgen naar de wond kijken?"]


@pytest.mark.parametrize("which", ["someone-elses", "missing"])
def test_a_conversation_the_user_may_not_see_is_not_found_in_dutch(
    which, gp, nurse, outsider, conversation, cookie_of
):
    """The GP of another practice: the same answer for "not yours" and "does not exist"."""
    pk = conversation.pk if which == "someone-elses" else conversation.pk + 1000
    error, _pong = refused(cookie_of(outsider), send_frame(pk, "Mag ik meelezen?"))
    assert error["conversation"] == pk
    assert error["error"] == "Dit gesprek is niet gevonden."
    assert not Message.objects.filter(author=outsider).exists()


def test_a_patient_conversation_without_a_secure_session_is_not_found(
    gp, nurse, patient_conversation
):
    from django.test import Client

    from tests.conversations.test_consumers import cookie_header

    client = Client()
    client.force_login(nurse)  # no second factor
    error, _pong = refused(cookie_header(client), send_frame(patient_conversation.pk, "Hallo"))
    assert error["error"] == "Dit gesprek is niet gevonden."
    assert patient_conversation.messages.count() == 1


def test_a_removed_inbox_member_may_no_longer_send_on_a_subscribed_socket(
    gp, nurse, colleague, nursing_inbox, cookie_of
):
    """Subscribed sends skip the second access query: the revoke must still stop them."""
    from conversations.services.messages import inbox_member_remove

    conversation = start(gp, inboxes=[nursing_inbox], subject="Vraag aan de wijkverpleging")
    cookie = cookie_of(nurse)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk)
            await db(inbox_member_remove)(inbox=nursing_inbox, user=nurse)
            await socket.next("revoked")
            await socket.send(**send_frame(conversation.pk, "Ik doe het nog even"))
            return await socket.next("error")

    error = async_to_sync(scenario)()
    assert error["error"] == "Dit gesprek is niet gevonden."
    assert not Message.objects.filter(author=nurse).exists()


@pytest.mark.parametrize(
    "extra",
    [{"files": ["foto.jpg"]}, {"author": 1}, {"after": 0}],
    ids=["files", "author", "a-field-of-another-frame"],
)
def test_a_send_with_unknown_fields_is_refused_in_dutch(extra, gp, nurse, conversation, cookie_of):
    error, pong = refused(
        cookie_of(nurse),
        send_frame(conversation.pk, "Met een extraatje", **extra),
        subscribe=conversation.pk,
    )
    assert error["error"] == (
        f"Dit bericht bevat velden die niet zijn toegestaan: {', '.join(extra)}."
    )
    assert pong == {"type": "pong"}
    assert "Met een extraatje" not in stored(conversation)


def test_a_send_without_a_valid_client_key_is_refused_in_dutch(gp, nurse, conversation, cookie_of):
    error, _pong = refused(
        cookie_of(nurse),
        send_frame(conversation.pk, "Zonder sleutel", "geen-uuid"),
        subscribe=conversation.pk,
    )
    assert error["client_key"] == "geen-uuid"
    assert error["error"] == "Voer een geldige UUID in."
    assert "Zonder sleutel" not in stored(conversation)


# --- What a send costs ----------------------------------------------------------------------------


# Why N: a subscribed send is one write transaction (BEGIN, COMMIT: 2) — the conversation
# locked (1), the key looked up (1), the message stored (1), the conversation's last message
# set (1), the sender's read mark (one forward-only upsert: 1) — with
# the push prepared before commit: who must hear of it (1: people and shared-inbox members in
# one statement). The push is rendered from the
# message in hand, not read back. No access query (the subscription was authorised), no
# session or user load (the socket has them; re-checked every RECHECK_SECONDS, not per send).
SEND_QUERIES = 8


def test_one_send_over_the_socket_costs_a_fixed_number_of_sql_statements(
    gp, nurse, conversation, cookie_of, monkeypatch
):
    # No session and rights re-check inside the measured send (it is per window, not per send).
    monkeypatch.setattr("conversations.consumers.RECHECK_SECONDS", 3600)
    # The socket's database work on this test's thread and connection, where it is counted
    # (in Daphne it runs in the thread pool: the same statements on another connection).
    monkeypatch.setattr(
        "conversations.consumers.database_sync_to_async",
        lambda func: sync_to_async(func, thread_sensitive=True),
    )
    # The e-mail check runs in the Celery worker, not in the socket's send: queued, not run.
    queued = []
    monkeypatch.setattr(
        "conversations.tasks_notify.notify_conversation_task.apply_async",
        lambda args, countdown: queued.append(args[0]),
    )
    cookie = cookie_of(gp)
    send(gp, conversation, "Eerst een bericht, zodat de leesstatus al bestaat.")

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=0)
            await socket.send(type="ping", away=False)
            await socket.next("pong")
            queries = CaptureQueriesContext(db_connection)
            await db(queries.__enter__)()
            await socket.send(**send_frame(conversation.pk, "Geteld"))
            await socket.next("sent")
            await db(queries.__exit__)(None, None, None)
            return queries

    queries = async_to_sync(scenario)()
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == SEND_QUERIES, "\n".join(statements)
    # One write transaction (SQLite: BEGIN IMMEDIATE, see settings.DATABASES).
    assert statements[0] in ("BEGIN", "BEGIN IMMEDIATE") and statements[-1] == "COMMIT"
    assert stored(conversation)[-1] == "Geteld"
    assert queued[-1] == conversation.pk
