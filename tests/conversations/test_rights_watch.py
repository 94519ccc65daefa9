"""Busy sockets have their session and rights looked at together, once per window for the
whole process (``RightsWatch``), instead of each socket re-reading them every few seconds — and
a change made behind the services' back still closes a busy socket within the window, without
waiting for a push. Same machinery as ``test_consumer_rights.py``."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.contrib.sessions.models import Session

from accounts.models import Membership
from conversations import consumers, live_process
from tests.conversations.conftest import send
from tests.conversations.test_consumer_rights import (
    RIGHTS_CHANGED,
    SESSION_OVER,
    WITHIN,
    close_frame,
    db,
)
from tests.conversations.test_consumers import connected, cookie_header

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = 0.4  # RECHECK_SECONDS in these tests


@pytest.fixture
def counted(monkeypatch):
    """How often a socket read its grant in full, and how often the process's watch looked."""
    calls = {"grant_again": 0, "fingerprints": 0}
    for module, name in ((consumers, "grant_again"), (live_process, "fingerprints")):
        original = getattr(module, name)

        def wrapper(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", WINDOW)
    return calls


def test_busy_sockets_are_looked_at_together_not_each_per_window(
    counted,
    gp,
    nurse,
    conversation,
    login,
):
    """Three busy sockets over about ten windows: each reads its grant in full about once
    (the first look after opening), not ten times; every message still arrives."""
    cookies = [cookie_header(login(user)) for user in (gp, nurse, nurse)]

    async def scenario():
        async with (
            connected(cookies[0]) as a,
            connected(cookies[1]) as b,
            connected(cookies[2]) as c,
        ):
            for socket in (a, b, c):
                await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            sent = []
            for i in range(20):
                sent.append((await db(send)(gp, conversation, f"Bericht {i}")).pk)
                await asyncio.sleep(WINDOW / 2)
            for socket in (b, c):
                frames = await socket.rest()
                assert [f["id"] for f in frames if f["type"] == "message"] == sent
                assert not [f for f in frames if f["type"] == "error"]

    async_to_sync(scenario)()
    # Before the watch: a full look per socket per window, about 3 × 10 here.
    assert counted["grant_again"] <= 3 * 2
    assert counted["fingerprints"] >= 5


def test_a_membership_edited_behind_the_services_back_closes_a_busy_socket_without_a_push(
    counted,
    gp,
    nurse,
    conversation,
    login,
):
    cookie = cookie_header(login(nurse))

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await asyncio.sleep(WINDOW * 1.5)
            # A read frame: the socket is busy, its first full look reads the fingerprint.
            message = await db(send)(gp, conversation, "Hoe gaat het?")
            await socket.next("message")
            await socket.send(type="read", conversation=conversation.pk, message=message.pk)
            await asyncio.sleep(WINDOW)
            await socket.send(type="read", conversation=conversation.pk, message=message.pk)
            await db(Membership.objects.filter(user=nurse).update)(has_patient_data_access=False)
            # Nothing is pushed and the page sends nothing: the watch finds it.
            frames = []
            while (frame := await socket.comm.receive_output(timeout=WITHIN))["type"] != (
                "websocket.close"
            ):
                frames.append(frame)
            assert frame == close_frame(RIGHTS_CHANGED)
            assert not any('"type": "message"' in f.get("text", "") for f in frames)

    async_to_sync(scenario)()


def test_a_session_deleted_in_the_database_closes_a_busy_socket_without_a_frame(
    counted,
    nurse,
    conversation,
    login,
):
    client = login(nurse)
    key = client.session.session_key

    async def scenario():
        async with connected(cookie_header(client)) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await asyncio.sleep(WINDOW * 1.5)
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            await socket.next("messages")
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            await socket.next("messages")
            await db(Session.objects.filter(session_key=key).delete)()
            assert await socket.comm.receive_output(timeout=WITHIN) == close_frame(SESSION_OVER)

    async_to_sync(scenario)()
