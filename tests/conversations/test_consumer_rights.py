"""An open websocket follows its session and its user's rights, at once.

Each test holds an open socket, makes something happen that a page request would notice at once
(logout, deactivation, revoked access, a session timing out), and expects the socket to be
closed — or, when one conversation is taken away, that conversation revoked — within 2 seconds,
with nothing else before it; a message sent afterwards must not reach it. 4401: the session is
over (the page reloads and shows the login); 4403: the rights changed (the page reconnects).

Same machinery as ``test_consumers.py``: the real ASGI application, a session from a real
login, pushes after commit, Redis when ``REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.levels import Level
from accounts.middleware import LAST_ACTIVITY_KEY, SESSION_STARTED_KEY
from accounts.models import Membership
from accounts.services import membership_update, patient_data_access_set, user_deactivate
from conversations import consumers
from conversations.services.messages import inbox_member_remove
from tests.conversations.conftest import membership_of, send, start
from tests.conversations.test_consumers import (
    QUIET,
    WAIT,
    _end_care_network_membership,
    communicator,
    connected,
    cookie_header,
)
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WITHIN = 2  # seconds in which an open socket must have followed the change
SESSION_OVER, RIGHTS_CHANGED = 4401, 4403
LEFT = 3  # seconds a session has left when its socket opens, in the timeout tests

db = database_sync_to_async


def close_frame(code: int) -> dict:
    return {"type": "websocket.close", "code": code}


async def nothing_more(socket) -> None:
    """Not a frame: not the message sent after the change, nor anything else."""
    assert await socket.comm.receive_nothing(timeout=QUIET)


async def no_message(socket) -> None:
    """A revoked conversation sends no message. Someone who left the care network is still
    among its participants, so their inbox counts may be nudged ("inbox", an id and no
    content); the counts themselves come over HTTP, through the access rule."""
    frames = await socket.rest()
    assert [frame for frame in frames if frame["type"] != "inbox"] == []


@pytest.fixture
def doctor_assistant(practice):
    """Level E of De Linde with patient-data access: sees the practice's own patients."""
    user = UserFactory(email="doktersassistent@delinde.nl", first_name="Durkje", last_name="Bos")
    MembershipFactory(user=user, organisation=practice, level=Level.E, has_patient_data_access=True)
    return user


def session_clock(client: Client, **seconds_ago: float) -> float:
    """Set the session's clocks (``started``, ``last``) as if that long ago; returns the unix
    time at which the session then ends (``SessionTimeoutMiddleware``'s rule)."""
    now = time.time()
    session = client.session
    session[SESSION_STARTED_KEY] = now - seconds_ago.get("started", 0)
    session[LAST_ACTIVITY_KEY] = now - seconds_ago.get("last", 0)
    session.save()
    return min(
        session[LAST_ACTIVITY_KEY] + settings.SESSION_IDLE_TIMEOUT,
        session[SESSION_STARTED_KEY] + settings.SESSION_ABSOLUTE_LIFETIME,
    )


# --- Logout and ended sessions --------------------------------------------------------------


def test_logout_closes_the_sockets_of_that_session_and_no_other(gp, nurse, conversation, login):
    client = login(nurse)
    other_device = Client()
    other_device.force_login(nurse)  # her phone: another session, not logged out

    async def scenario():
        async with (
            connected(cookie_header(client)) as socket,
            connected(cookie_header(other_device)) as phone,
        ):
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)

            response = await db(client.post)(reverse("account_logout"))
            assert response.status_code == 302
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(SESSION_OVER)

            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            await nothing_more(socket)
            # The phone's session goes on: it hears of the new message.
            assert (await phone.next("inbox"))["conversation"] == conversation.pk

    async_to_sync(scenario)()


def test_deactivation_closes_every_socket_of_the_user(helpdesk, gp, nurse, conversation, login):
    client = login(nurse)
    other_device = Client()
    other_device.force_login(nurse)

    async def scenario():
        async with (
            connected(cookie_header(client)) as socket,
            connected(cookie_header(other_device)) as phone,
        ):
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)

            await db(user_deactivate)(actor=helpdesk, user=nurse, reason="Uit dienst")
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(SESSION_OVER)
            assert await phone.comm.receive_output(timeout=WITHIN) == close_frame(SESSION_OVER)

            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            await nothing_more(socket)
            await nothing_more(phone)

    async_to_sync(scenario)()


def test_session_ended_from_the_sessions_list_closes_its_socket(gp, nurse, conversation, login):
    client = login(nurse)

    async def scenario():
        async with connected(cookie_header(client)) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)

            sessions = await db(list)(UserSession.objects.filter(user=nurse))
            await db(get_adapter().end_sessions)(sessions)
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(SESSION_OVER)

            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            await nothing_more(socket)

    async_to_sync(scenario)()


# --- Rights change ----------------------------------------------------------------------------


def test_revoking_patient_data_access_closes_the_socket(
    gp, doctor_assistant, shared_patient, login
):
    conversation = start(gp, doctor_assistant, patient=shared_patient, subject="Bloeddruk")
    cookie = cookie_header(login(doctor_assistant))
    manager, membership = membership_of(gp), membership_of(doctor_assistant)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=0)

            await db(patient_data_access_set)(manager=manager, membership=membership, granted=False)
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(RIGHTS_CHANGED)
            await db(send)(gp, conversation, "Bloeddruk 180/110, graag bellen.")
            await nothing_more(socket)

        # The page reconnects with the rights as they are now: the conversation is gone.
        async with connected(cookie) as socket:
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            assert (await socket.next("error"))["error"] == "not found"

    async_to_sync(scenario)()


def test_level_change_closes_the_socket_and_a_new_one_has_the_new_rights(
    helpdesk, gp, nurse, conversation, login
):
    cookie = cookie_header(login(gp))
    membership = membership_of(gp)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)

            await db(membership_update)(actor=helpdesk, membership=membership, level=Level.C)
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(RIGHTS_CHANGED)
            await db(send)(nurse, conversation, "Wond ziet er beter uit.")
            await nothing_more(socket)

        async with connected(cookie) as socket:  # level C still collaborates
            items = await socket.subscribe(conversation.pk, after=0)
            assert items[-1]["author"] == nurse.pk

    async_to_sync(scenario)()


def test_ended_membership_closes_the_socket(helpdesk, gp, nurse, conversation, login):
    cookie = cookie_header(login(nurse))
    membership = membership_of(nurse)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)

            await db(membership_update)(actor=helpdesk, membership=membership, is_active=False)
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(RIGHTS_CHANGED)
            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            await nothing_more(socket)

    async_to_sync(scenario)()


def test_a_push_is_checked_against_the_rights_in_the_database(
    monkeypatch, gp, nurse, conversation, login
):
    """Changed behind the services' back (no signal, no event): the first push after the
    socket's short trust window finds out, and is not sent."""
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.5)
    cookie = cookie_header(login(nurse))

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await db(Membership.objects.filter(user=nurse).update)(has_patient_data_access=False)
            await asyncio.sleep(0.6)

            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(RIGHTS_CHANGED)
            await nothing_more(socket)

    async_to_sync(scenario)()


def test_a_session_deleted_in_the_database_is_over_at_the_next_frame(
    monkeypatch, nurse, conversation, login
):
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.5)
    client = login(nurse)
    key = client.session.session_key

    async def scenario():
        async with connected(cookie_header(client)) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await db(Session.objects.filter(session_key=key).delete)()
            await asyncio.sleep(0.6)

            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(SESSION_OVER)

    async_to_sync(scenario)()


# --- One conversation taken away: revoked, the socket stays -----------------------------------


def test_removal_from_the_care_network_revokes_the_conversation_within_two_seconds(
    gp, nurse, shared_patient, conversation, login
):
    cookie = cookie_header(login(nurse))

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)

            await db(_end_care_network_membership)(gp, nurse, shared_patient)
            assert await socket.comm.receive_json_from(timeout=WITHIN) == {
                "type": "revoked",
                "conversation": conversation.pk,
            }
            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            await no_message(socket)
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            assert (await socket.next("error"))["error"] == "not found"

    async_to_sync(scenario)()


def test_removal_from_the_shared_inbox_revokes_the_conversation_within_two_seconds(
    gp, nurse, nursing_inbox, login
):
    conversation = start(gp, inboxes=[nursing_inbox], subject="Vraag aan de wijkverpleging")
    cookie = cookie_header(login(nurse))

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=0)

            await db(inbox_member_remove)(inbox=nursing_inbox, user=nurse)
            assert await socket.comm.receive_json_from(timeout=WITHIN) == {
                "type": "revoked",
                "conversation": conversation.pk,
            }
            await db(send)(gp, conversation, "Niet meer voor de oud-collega")
            await nothing_more(socket)
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            assert (await socket.next("error"))["error"] == "not found"

    async_to_sync(scenario)()


# --- Session timeouts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ago",
    [
        {"last": settings.SESSION_IDLE_TIMEOUT - LEFT},
        {"started": settings.SESSION_ABSOLUTE_LIFETIME - LEFT},
    ],
    ids=["idle", "absolute-age"],
)
def test_session_timeout_closes_the_socket_without_traffic_and_pings_do_not_help(
    ago, gp, nurse, conversation, login
):
    """``LEFT`` seconds before the session would time out over HTTP the socket opens; it pings
    (which is no activity) and then hears nothing; it is closed within 2 s of the deadline."""
    client = login(nurse)
    ends_at = session_clock(client, **ago)

    async def scenario():
        async with connected(cookie_header(client)) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await socket.send(type="ping", away=False)
            assert await socket.next("pong") == {"type": "pong"}

            frame = await socket.comm.receive_output(timeout=ends_at - time.time() + WITHIN)
            assert frame == close_frame(SESSION_OVER)
            assert time.time() >= ends_at

            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            await nothing_more(socket)

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "ago",
    [
        {"last": settings.SESSION_IDLE_TIMEOUT + 60},
        {"started": settings.SESSION_ABSOLUTE_LIFETIME + 60},
    ],
    ids=["idle-31-minutes", "started-13-hours-ago"],
)
def test_a_timed_out_session_cannot_open_a_socket(ago, nurse, conversation, login):
    client = login(nurse)
    session_clock(client, **ago)

    async def scenario():
        accepted, code = await communicator(cookie_header(client)).connect(timeout=WAIT)
        assert (accepted, code) == (False, SESSION_OVER)

    async_to_sync(scenario)()
    # Over HTTP the same cookie is sent to the login page.
    response = client.get(reverse("conversations:detail", args=[conversation.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_page_request_keeps_the_socket_of_an_active_session_open(gp, nurse, conversation, login):
    """At the idle deadline the socket reads the session again: the page request meanwhile
    moved the idle clock on, so it stays open and still gets messages."""
    client = login(nurse)
    ends_at = session_clock(client, last=settings.SESSION_IDLE_TIMEOUT - LEFT)

    async def scenario():
        async with connected(cookie_header(client)) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            response = await db(client.get)(reverse("conversations:inbox"))
            assert response.status_code == 200

            assert await socket.comm.receive_nothing(timeout=ends_at - time.time() + 1)
            message = await db(send)(gp, conversation, "Nog steeds hier?")
            assert (await socket.next("message"))["id"] == message.pk

    async_to_sync(scenario)()
