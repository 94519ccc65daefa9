"""The live edge (``ws/live/``): origin and session checked, frames validated, nothing lost.

Every test runs the real ASGI application (``regiozorg.asgi.application``: origin validator,
session middleware, router, ``LiveConsumer``) through ``WebsocketCommunicator``. A browser's
session cookie comes from a ``django.test.Client`` that logged in with the second factor, as
``secure_client`` does. Messages are sent with ``message_send`` (through the conftest helpers),
so pushes go out after commit exactly as they do from a page.

pytest-asyncio is not installed: each test prepares its data, then runs a ``scenario``
coroutine with ``async_to_sync``. The consumer's ``database_sync_to_async`` calls then run on
the test's own thread and database connection. Without ``REDIS_URL`` the in-memory channel
layer carries the pushes; with it (CI) Redis does, so waits are generous and "nothing arrives"
means ``QUIET`` seconds of silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from conversations.models import Message, ReadState
from conversations.services.messages import inbox_member_remove
from network.access import patient_access_for
from network.models import CareNetworkMember
from network.services.patients import care_network_end
from regiozorg.asgi import application
from tests.conversations.conftest import actor_for, send, start

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://localhost"  # in ALLOWED_HOSTS of the embedded settings
WAIT = 5  # seconds a push may take (Redis in CI, a busy machine)
QUIET = 0.5  # seconds of silence that count as "nothing more is coming"

db = database_sync_to_async


def cookie_header(client: Client) -> bytes:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


@pytest.fixture
def cookie_of(secure_client):
    """``cookie_of(user)``: the session cookie of ``user`` after a login with the second factor."""
    return lambda user: cookie_header(secure_client(user, client=Client()))


def communicator(cookie: bytes | None = None, origin: bytes | None = ORIGIN):
    headers = [(b"origin", origin)] if origin else []
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


class Socket:
    """One open websocket, as the page holds it."""

    def __init__(self, comm: WebsocketCommunicator):
        self.comm = comm

    async def send(self, **frame) -> None:
        await self.comm.send_json_to(frame)

    async def next(self, kind: str) -> dict:
        """The next frame of ``kind``; frames of other kinds on the way are passed over."""
        while True:
            frame = await self.comm.receive_json_from(timeout=WAIT)
            if frame["type"] == kind:
                return frame

    async def subscribe(self, conversation_id: int, after: int = 0) -> list[dict]:
        """Subscribe; returns the catch-up items (everything after ``after``)."""
        await self.send(type="subscribe", conversation=conversation_id, after=after)
        frame = await self.next("messages")
        assert frame["conversation"] == conversation_id
        return frame["items"]

    async def rest(self) -> list[dict]:
        """Every frame that still arrives until ``QUIET`` seconds pass without one."""
        frames = []
        while not await self.comm.receive_nothing(timeout=QUIET):
            frames.append(await self.comm.receive_json_from())
        return frames


@contextlib.asynccontextmanager
async def connected(cookie: bytes):
    comm = communicator(cookie)
    accepted, code = await comm.connect(timeout=WAIT)
    assert accepted, f"websocket refused with {code}"
    try:
        yield Socket(comm)
    finally:
        await comm.disconnect(timeout=WAIT)


def ids(frames: list[dict]) -> list[int]:
    """Ids of the live ``message`` frames among ``frames``."""
    return [frame["id"] for frame in frames if frame["type"] == "message"]


# --- Who may connect ------------------------------------------------------------------------


def test_anonymous_visitor_is_closed_with_4401():
    async def scenario():
        accepted, code = await communicator(cookie=None).connect(timeout=WAIT)
        assert (accepted, code) == (False, 4401)

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "origin",
    [b"https://evil.example", b"http://localhost.evil.example", None],
    ids=["other-site", "lookalike-host", "no-origin"],
)
def test_socket_from_another_origin_is_refused_even_with_a_valid_session(origin, nurse, cookie_of):
    """A page on another site may not ride on the nurse's cookie (cross-site websocket)."""
    cookie = cookie_of(nurse)

    async def scenario():
        accepted, _code = await communicator(cookie, origin=origin).connect(timeout=WAIT)
        assert not accepted
        comm = communicator(cookie)  # the same cookie from our own origin is fine
        assert (await comm.connect(timeout=WAIT))[0]
        await comm.disconnect()

    async_to_sync(scenario)()


# --- Authorise before joining ----------------------------------------------------------------


def test_stranger_subscribing_gets_not_found_and_no_pushes(gp, outsider, conversation, cookie_of):
    """The GP of another practice: same answer for "not yours" and "does not exist"."""
    cookie = cookie_of(outsider)

    async def scenario():
        async with connected(cookie) as socket:
            for conversation_id in (conversation.pk, conversation.pk + 1000):
                await socket.send(type="subscribe", conversation=conversation_id, after=0)
                assert await socket.next("error") == {
                    "type": "error",
                    "error": "not found",
                    "conversation": conversation_id,
                }
            await db(send)(gp, conversation, "Bloedsuiker 14,2 vanochtend.")
            assert await socket.rest() == []

    async_to_sync(scenario)()


def test_patient_conversation_needs_a_secure_session(gp, nurse, conversation):
    """Logged in without the second factor: a conversation about a patient is not found."""
    client = Client()
    client.force_login(nurse)
    cookie = cookie_header(client)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            assert (await socket.next("error"))["error"] == "not found"
            await db(send)(gp, conversation, "Bloedsuiker 14,2 vanochtend.")
            assert ids(await socket.rest()) == []

    async_to_sync(scenario)()


# --- Live delivery and catch-up ------------------------------------------------------------


def test_participant_gets_a_sent_message_live_after_commit_with_escaped_html(
    gp, nurse, conversation, cookie_of
):
    cookie = cookie_of(nurse)
    body = 'Zie <script>alert("x")</script> & https://example.nl/wond?a=1'
    before = conversation.last_message_id
    assert before

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)

            def send_and_look_before_commit():
                with transaction.atomic():
                    message = send(gp, conversation, body)
                    # Still inside the transaction: nothing may have been pushed yet.
                    assert async_to_sync(socket.rest)() == []
                return message

            message = await db(send_and_look_before_commit)()
            frame = await socket.next("message")

        assert frame["id"] == message.pk
        assert frame["conversation"] == conversation.pk
        assert frame["author"] == gp.pk
        # The message before it: a page that lacks that one knows it missed a push.
        assert frame["previous"] == before
        html = frame["html"]
        assert f'id="message-{message.pk}"' in html
        assert "Gerrit" in html  # the author's name, as on the page
        assert '&lt;script&gt;alert("x")&lt;/script&gt; &amp;' in html
        assert "<script" not in html
        assert '<a href="https://example.nl/wond?a=1"' in html

    async_to_sync(scenario)()


def test_catch_up_gets_exactly_the_missed_messages_in_order(gp, nurse, conversation, cookie_of):
    first = conversation.last_message_id
    sent = [send(gp, conversation, f"Bericht {n}").pk for n in range(1, 6)]
    cookie = cookie_of(nurse)

    async def scenario():
        async with connected(cookie) as socket:
            everything = await socket.subscribe(conversation.pk, after=0)
            missed = await socket.subscribe(conversation.pk, after=sent[1])
            nothing = await socket.subscribe(conversation.pk, after=sent[-1])

        assert [item["id"] for item in everything] == [first, *sent]
        assert [item["id"] for item in missed] == sent[2:]
        assert ["Bericht 3" in item["html"] for item in missed] == [True, False, False]
        assert all(item["conversation"] == conversation.pk for item in missed)
        assert nothing == []

    async_to_sync(scenario)()


def test_disconnect_mid_stream_leaves_no_gap_and_no_duplicate(gp, nurse, conversation, cookie_of):
    """Messages 1-3 live, the socket drops, 4-6 are sent, the page reconnects after its last
    id (3): it gets 4-6 once, and then 7 live, once."""
    cookie = cookie_of(nurse)

    async def scenario():
        seen = []
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            first_three = [(await db(send)(gp, conversation, f"Bericht {n}")).pk for n in (1, 2, 3)]
            for _ in first_three:
                seen.append((await socket.next("message"))["id"])
            seen += ids(await socket.rest())
        assert seen == first_three

        next_three = [(await db(send)(gp, conversation, f"Bericht {n}")).pk for n in (4, 5, 6)]

        async with connected(cookie) as socket:
            caught_up = await socket.subscribe(conversation.pk, after=seen[-1])
            seen += [item["id"] for item in caught_up]
            seventh = (await db(send)(gp, conversation, "Bericht 7")).pk
            seen.append((await socket.next("message"))["id"])
            seen += ids(await socket.rest())

        assert [item["id"] for item in caught_up] == next_three
        assert seen == [*first_three, *next_three, seventh]

    async_to_sync(scenario)()


# --- Frames that fail validation -------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "subscribe", "conversation": "x"},
        {"type": "shout", "conversation": 1},
        {"type": "read", "conversation": "CONVERSATION"},  # no message id
        {"type": "subscribe", "conversation": "CONVERSATION", "after": -1},
        ["subscribe", "CONVERSATION"],
        "subscribe",
        {"type": "read", "conversation": "CONVERSATION", "message": True},
        {"type": "read", "conversation": "CONVERSATION", "message": 2.5},
        {"type": "read", "conversation": "CONVERSATION", "message": "1e3"},
        {"type": "ping", "away": "yes"},
        {"type": None},
    ],
    ids=[
        "id-not-a-number",
        "unknown-type",
        "read-without-message",
        "negative-after",
        "list",
        "string",
        "id-a-boolean",
        "id-a-fraction",
        "id-in-exponent-notation",
        "away-not-a-boolean",
        "no-type",
    ],
)
def test_invalid_frame_gets_an_error_and_close_4400_and_changes_nothing(
    frame, gp, nurse, conversation, cookie_of
):
    cookie = cookie_of(nurse)
    before = ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id
    if isinstance(frame, dict):
        frame = {k: conversation.pk if v == "CONVERSATION" else v for k, v in frame.items()}
    elif isinstance(frame, list):
        frame = [conversation.pk if v == "CONVERSATION" else v for v in frame]

    async def scenario():
        comm = communicator(cookie)
        assert (await comm.connect(timeout=WAIT))[0]
        await comm.send_json_to(frame)
        assert await comm.receive_json_from(timeout=WAIT) == {
            "type": "error",
            "error": "invalid frame",
        }
        assert await comm.receive_output(timeout=WAIT) == {"type": "websocket.close", "code": 4400}
        await comm.disconnect(timeout=WAIT)

    async_to_sync(scenario)()
    assert ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id == (
        before
    )


def test_text_that_is_not_json_gets_an_error_and_close_4400(nurse, cookie_of):
    cookie = cookie_of(nurse)

    async def scenario():
        comm = communicator(cookie)
        assert (await comm.connect(timeout=WAIT))[0]
        try:
            await comm.send_to(text_data="{subscribe")
            assert await comm.receive_json_from(timeout=WAIT) == {
                "type": "error",
                "error": "invalid frame",
            }
            assert await comm.receive_output(timeout=WAIT) == {
                "type": "websocket.close",
                "code": 4400,
            }
        finally:
            comm.stop(exceptions=False)

    async_to_sync(scenario)()


def test_binary_frame_gets_an_error_and_close_4400(nurse, cookie_of):
    cookie = cookie_of(nurse)

    async def scenario():
        comm = communicator(cookie)
        assert (await comm.connect(timeout=WAIT))[0]
        try:
            await comm.send_to(bytes_data=b'{"type": "ping"}')
            assert await comm.receive_json_from(timeout=WAIT) == {
                "type": "error",
                "error": "invalid frame",
            }
            assert await comm.receive_output(timeout=WAIT) == {
                "type": "websocket.close",
                "code": 4400,
            }
        finally:
            comm.stop(exceptions=False)

    async_to_sync(scenario)()


# --- Read marks -------------------------------------------------------------------------------


def test_read_frame_moves_the_read_mark_and_updates_the_readers_other_pages(
    gp, nurse, conversation, cookie_of
):
    sent = [send(gp, conversation, f"Bericht {n}").pk for n in (1, 2, 3)]
    nurse_cookie = cookie_of(nurse)

    async def scenario():
        # The nurse has the inbox open in one tab and the conversation in another.
        async with connected(nurse_cookie) as inbox_tab, connected(nurse_cookie) as socket:
            await socket.subscribe(conversation.pk, after=0)
            await socket.send(type="read", conversation=conversation.pk, message=sent[1])
            assert await inbox_tab.next("inbox") == {
                "type": "inbox",
                "conversation": conversation.pk,
            }
            # Never backwards: an older id (another tab) leaves the mark where it is.
            await socket.send(type="read", conversation=conversation.pk, message=sent[0])
            await socket.rest()

    async_to_sync(scenario)()
    state = ReadState.objects.get(conversation=conversation, user=nurse)
    assert state.last_read_message_id == sent[1]
    assert state.read_at is not None


def test_read_frame_for_someone_elses_conversation_is_not_found(
    gp, outsider, conversation, cookie_of
):
    cookie = cookie_of(outsider)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.send(
                type="read", conversation=conversation.pk, message=conversation.last_message_id
            )
            assert await socket.next("error") == {"type": "error", "error": "not found"}

    async_to_sync(scenario)()
    assert not ReadState.objects.filter(conversation=conversation, user=outsider).exists()


@pytest.mark.parametrize("beyond", [1000, 2**63], ids=["past-the-last", "past-bigint"])
def test_read_frame_beyond_the_last_message_does_not_mark_future_messages_read(
    beyond, gp, nurse, conversation, cookie_of
):
    cookie = cookie_of(nurse)
    last = conversation.last_message_id

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=0)
            await socket.send(type="read", conversation=conversation.pk, message=last + beyond)
            if beyond >= 2**62:  # not an id at all: refused as an invalid frame
                assert (await socket.next("error"))["error"] == "invalid frame"
            else:
                await socket.rest()

    async_to_sync(scenario)()
    assert ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id <= last


# --- Access ends: pushes end ----------------------------------------------------------------


@pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="counts sessions in pg_stat_activity"
)
def test_a_busy_socket_opens_no_database_connection_per_frame(gp, nurse, conversation, cookie_of):
    # Every frame is handled on one of the sockets' database threads, each keeping one
    # persistent connection: ten times the frames open no more connections, and none is left
    # idle in a transaction (a Daphne with hundreds of sockets must not run PostgreSQL out).
    sent = [send(gp, conversation, f"Bericht {n}").pk for n in range(1, 11)]
    cookie = cookie_of(nurse)

    def other_sessions() -> dict[int, str]:
        with db_connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return dict(cursor.fetchall())

    before = other_sessions()

    async def scenario(frames: int):
        async with connected(cookie) as socket:
            for n in range(frames):
                await socket.subscribe(conversation.pk, after=sent[n % 10])
                await socket.send(type="read", conversation=conversation.pk, message=sent[n % 10])
                await socket.send(type="ping", away=False)
                await socket.next("pong")
            await socket.rest()

    async_to_sync(scenario)(2)
    after_few = other_sessions()
    async_to_sync(scenario)(20)
    after_many = other_sessions()

    # The connections of the first frames are the ones still open (kept, not reopened), and
    # ten times the frames need at most one per thread.
    assert after_few.keys() <= after_many.keys()
    # The sockets' threads, and the rights watch's own.
    assert len(after_many.keys() - before.keys()) <= settings.LIVE_DB_THREADS + 1
    assert "idle in transaction" not in after_many.values()
    assert (
        ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id == sent[9]
    )


def test_a_ping_runs_no_sql_and_shows_the_user_online(nurse, conversation, cookie_of, monkeypatch):
    """A ping refreshes the presence key in Redis only: no SQL statement, no new database
    connection, on whatever thread — also after the rights' re-check window has passed."""
    from django.db.backends.signals import connection_created
    from django.db.backends.utils import CursorWrapper

    from accounts.presence import AWAY, ONLINE, online_states
    from conversations import consumers

    cookie = cookie_of(nurse)
    statements, connections_opened = [], []
    execute = CursorWrapper.execute

    def opened(sender, connection, **kwargs):
        connections_opened.append(connection.alias)

    def counting(execute):
        def wrapper(self, sql, *args, **kwargs):
            statements.append(sql)
            return execute(self, sql, *args, **kwargs)

        return wrapper

    # Every other frame looks at the session and rights again each time; the process's rights
    # watch (its own thread, its own schedule) stays out of this count.
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(consumers.RIGHTS_WATCH, "every", lambda: 3600)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await socket.rest()
            monkeypatch.setattr(CursorWrapper, "execute", counting(CursorWrapper.execute))
            connection_created.connect(opened)
            try:
                await socket.send(type="ping", away=True)
                assert await socket.next("pong") == {"type": "pong"}
                assert await db(online_states)([nurse.pk]) == {nurse.pk: AWAY}
                seen = list(statements)
                await socket.send(type="ping", away=False)
                assert await socket.next("pong") == {"type": "pong"}
            finally:
                connection_created.disconnect(opened)
                monkeypatch.setattr(CursorWrapper, "execute", execute)
            return seen

    seen = async_to_sync(scenario)()
    assert seen == statements == []
    assert connections_opened == []
    assert online_states([nurse.pk]) == {nurse.pk: ONLINE}


def test_pings_that_change_nothing_are_written_together_and_a_change_at_once(
    nurse, cookie_of, monkeypatch
):
    """Every open page pings every 30 s. A ping that repeats the user's state waits for the
    process's next presence write (one pipelined Redis round trip a second for all pages); a
    ping that changes it (away, back) is written at once, so colleagues see it as it happens."""
    from accounts.presence import AWAY, online_states
    from conversations import consumers, live_process

    writes = []
    touch, touch_many = live_process.online_atouch, live_process.online_atouch_many

    async def counted_touch(user_id, **kwargs):
        writes.append(1)
        return await touch(user_id, **kwargs)

    async def counted_touch_many(states):
        writes.append(len(states))
        return await touch_many(states)

    monkeypatch.setattr(live_process, "online_atouch", counted_touch)
    monkeypatch.setattr(live_process, "online_atouch_many", counted_touch_many)
    # A longer wait than the server's second, so the twenty pings surely fall in one window.
    monkeypatch.setattr(consumers.PRESENCE, "every", 3.0)
    cookie = cookie_of(nurse)

    async def scenario():
        async with connected(cookie) as first, connected(cookie) as second:
            for _n in range(10):
                for socket in (first, second):
                    await socket.send(type="ping", away=False)
                    assert await socket.next("pong") == {"type": "pong"}
            pinged = len(writes)
            await asyncio.sleep(3.3)  # the process's next presence write
            batched = writes[pinged:]
            await second.send(type="ping", away=True)
            await second.next("pong")
            away_now = await db(online_states)([nurse.pk])
            return pinged, batched, away_now

    pinged, batched, away_now = async_to_sync(scenario)()
    # The first ping (a user this process had not written): at once; the other nineteen
    # pings: one write of one key.
    assert pinged == 1
    assert batched == [1]
    assert away_now == {nurse.pk: AWAY}
    assert online_states([nurse.pk]) == {nurse.pk: AWAY}


def test_frames_and_pushes_make_no_hop_to_close_old_connections(
    nurse, gp, conversation, cookie_of, monkeypatch
):
    """Channels' consumers close old database connections on Django's shared sync thread
    before every frame and every push: a thread hop each, for a socket whose database work
    runs on its own threads. Ours do not."""
    from channels import consumer as channels_consumer

    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr(channels_consumer, "aclose_old_connections", counted)
    cookie = cookie_of(nurse)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await socket.rest()
            await socket.send(type="ping", away=False)
            await socket.next("pong")
            await db(send)(gp, conversation, "Nieuw bericht")
            return await socket.next("message")

    pushed = async_to_sync(scenario)()
    assert "Nieuw bericht" in pushed["html"]
    assert hops == []


def test_a_burst_of_read_marks_is_stored_at_most_twice_and_ends_at_the_highest(
    gp, nurse, conversation, cookie_of, monkeypatch
):
    """A page scrolling through 50 messages within a second: the first mark is stored at once,
    the rest merged into one more store a second later; the mark ends at the highest id."""
    from conversations import live_process

    sent = [send(gp, conversation, f"Bericht {n}").pk for n in range(1, 51)]
    cookie = cookie_of(nurse)
    stores = []
    store = live_process._read_many

    def counted(marks):
        stores.append(marks[(nurse.pk, conversation.pk)])
        return store(marks)

    monkeypatch.setattr(live_process, "_read_many", counted)

    async def scenario():
        # The nurse's other tab hears of each store that moved her mark.
        async with connected(cookie) as socket, connected(cookie) as other_tab:
            await socket.subscribe(conversation.pk, after=sent[-1])
            for message_id in sent:
                await socket.send(type="read", conversation=conversation.pk, message=message_id)
            # A lower mark after the burst (another tab) changes nothing.
            await socket.send(type="read", conversation=conversation.pk, message=sent[10])
            await other_tab.next("inbox")  # the first store
            await other_tab.next("inbox")  # the merged one, a second later
            # The page that follows the conversation reads it: no inbox frame for it there.
            assert [f for f in await socket.rest() if f["type"] == "inbox"] == []

    async_to_sync(scenario)()
    assert len(stores) == 2
    assert stores[-1] == sent[-1]
    assert (
        ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id
        == sent[-1]
    )


def test_read_marks_of_many_pages_in_one_second_are_stored_together(
    gp, nurse, conversation, cookie_of, monkeypatch
):
    """Both participants read along on their own pages: after the first store, the marks of
    both pages within the next second are one store (one statement), not one per page."""
    from conversations import live_process

    sent = [send(gp, conversation, f"Bericht {n}").pk for n in range(1, 4)]
    stores = []
    store = live_process._read_many

    def counted(marks):
        stores.append(dict(marks))
        return store(marks)

    monkeypatch.setattr(live_process, "_read_many", counted)
    gp_cookie, nurse_cookie = cookie_of(gp), cookie_of(nurse)

    async def scenario():
        async with (
            connected(gp_cookie) as gp_page,
            connected(nurse_cookie) as nurse_page,
            connected(nurse_cookie) as nurse_inbox,
        ):
            for page in (gp_page, nurse_page):
                await page.subscribe(conversation.pk, after=sent[-1])
            await nurse_page.send(type="read", conversation=conversation.pk, message=sent[0])
            await nurse_inbox.next("inbox")  # the first store, at once
            await nurse_page.send(type="read", conversation=conversation.pk, message=sent[2])
            await gp_page.send(type="read", conversation=conversation.pk, message=sent[2])
            await nurse_inbox.next("inbox")  # the merged store, within the second
            await gp_page.rest()

    async_to_sync(scenario)()
    assert stores == [
        {(nurse.pk, conversation.pk): sent[0]},
        {(nurse.pk, conversation.pk): sent[2], (gp.pk, conversation.pk): sent[2]},
    ]
    assert (
        ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id
        == (sent[2])
    )


def test_a_page_following_the_conversation_gets_the_message_and_no_inbox_frame_for_it(
    gp, nurse, conversation, cookie_of
):
    """One frame per new message for the page that shows the conversation (the message moves
    its list too, live.js); the reader's other tab, on the inbox, gets the inbox frame."""
    nurse_cookie = cookie_of(nurse)

    async def scenario():
        async with connected(nurse_cookie) as page, connected(nurse_cookie) as inbox_tab:
            await page.subscribe(conversation.pk, after=conversation.last_message_id or 0)
            sent = (await db(send)(gp, conversation, "Wond ziet er rustig uit")).pk
            assert (await page.next("message"))["id"] == sent
            assert await inbox_tab.next("inbox") == {
                "type": "inbox",
                "conversation": conversation.pk,
            }
            return [f["type"] for f in await page.rest()]

    assert "inbox" not in async_to_sync(scenario)()


def test_a_read_mark_still_waiting_is_stored_when_the_page_closes(
    gp, nurse, conversation, cookie_of
):
    sent = [send(gp, conversation, f"Bericht {n}").pk for n in (1, 2)]
    cookie = cookie_of(nurse)

    async def scenario():
        async with connected(cookie) as socket, connected(cookie) as other_tab:
            await socket.subscribe(conversation.pk, after=sent[-1])
            await socket.send(type="read", conversation=conversation.pk, message=sent[0])
            await other_tab.next("inbox")
            await socket.send(type="read", conversation=conversation.pk, message=sent[1])
        # closed before the second mark's second was up

    async_to_sync(scenario)()
    assert (
        ReadState.objects.get(conversation=conversation, user=nurse).last_read_message_id == sent[1]
    )


def test_member_removed_from_shared_inbox_is_revoked_and_gets_no_more_pushes(
    gp, nurse, colleague, nursing_inbox, cookie_of
):
    conversation = start(gp, inboxes=[nursing_inbox], subject="Vraag aan de wijkverpleging")
    nurse_cookie, colleague_cookie = cookie_of(nurse), cookie_of(colleague)

    async def scenario():
        async with connected(nurse_cookie) as socket, connected(colleague_cookie) as other:
            await socket.subscribe(conversation.pk, after=0)
            await other.subscribe(conversation.pk, after=0)
            before = (await db(send)(gp, conversation, "Wie kan morgen langs?")).pk
            assert (await socket.next("message"))["id"] == before
            assert (await other.next("message"))["id"] == before

            await db(inbox_member_remove)(inbox=nursing_inbox, user=nurse)
            assert await socket.next("revoked") == {
                "type": "revoked",
                "conversation": conversation.pk,
            }
            after = (await db(send)(gp, conversation, "Niet meer voor de oud-collega")).pk
            assert (await other.next("message"))["id"] == after  # the inbox still works
            leftovers = await socket.rest()
            # Subscribing again is refused too: access was checked, not just the group left.
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            assert (await socket.next("error"))["error"] == "not found"

        assert [f for f in leftovers if f.get("conversation") == conversation.pk] == []
        assert ids(leftovers) == []

    async_to_sync(scenario)()


def _end_care_network_membership(gp, nurse, patient) -> None:
    actor = actor_for(gp)
    care_network_end(
        actor=actor,
        access=patient_access_for(actor=actor, pk=patient.pk),
        member=CareNetworkMember.objects.get(patient=patient, user=nurse, ended_at=None),
        reason="Zorg overgedragen",
    )


def test_nurse_ended_from_care_network_may_no_longer_subscribe(
    gp, nurse, shared_patient, conversation, cookie_of
):
    """The rule itself: out of the care network, the patient's conversation is not found."""
    _end_care_network_membership(gp, nurse, shared_patient)
    cookie = cookie_of(nurse)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.send(type="subscribe", conversation=conversation.pk, after=0)
            assert (await socket.next("error"))["error"] == "not found"

    async_to_sync(scenario)()


def test_nurse_ended_from_care_network_gets_no_more_pushes_about_the_patient(
    gp, nurse, shared_patient, conversation, cookie_of
):
    cookie = cookie_of(nurse)

    async def scenario():
        async with connected(cookie) as socket:
            await socket.subscribe(conversation.pk, after=conversation.last_message_id)
            await db(_end_care_network_membership)(gp, nurse, shared_patient)
            assert (await socket.next("revoked"))["conversation"] == conversation.pk
            await db(send)(gp, conversation, "Uitslag lab: HbA1c 58")
            leftovers = await socket.rest()
        assert ids(leftovers) == []

    async_to_sync(scenario)()


# --- Redis away: sending never depends on it ---------------------------------------------------
# (bench/live_redis_down.py shows the same with a real redis-server killed, restarted and frozen.)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def _redis_layer(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
        }
    }


def test_send_with_the_channel_layer_away_stores_the_message(gp, nurse, conversation):
    """Redis refuses connections: the message is stored, the send returns; pushes are lost and
    the page catches up when it reconnects (see the disconnect test above)."""
    with override_settings(CHANNEL_LAYERS=_redis_layer(_closed_port())):
        started = time.monotonic()
        message = send(gp, conversation, "Redis is weg, dit bericht niet.")
        seconds = time.monotonic() - started

    assert Message.objects.get(pk=message.pk).body == "Redis is weg, dit bericht niet."
    conversation.refresh_from_db()
    assert conversation.last_message_id == message.pk
    # Not a speed check (a busy machine is slow): a send that waited for Redis to come back,
    # or retried without end, would still be busy long after this.
    assert seconds < 30, f"send took {seconds:.1f}s with the layer away"


def test_send_with_a_frozen_redis_returns_promptly(gp, nurse, conversation):
    # A listening socket that never accepts: the kernel completes the TCP handshake, then
    # nothing is ever answered — a frozen Redis, as far as a client can tell.
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(64)
    port = black_hole.getsockname()[1]
    outcome: dict = {}

    def send_in_a_thread():
        try:
            outcome["message"] = send(gp, conversation, "Redis hangt.")
        except Exception as exc:
            outcome["error"] = exc
        finally:
            db_connection.close()

    with override_settings(CHANNEL_LAYERS=_redis_layer(port)):
        thread = threading.Thread(target=send_in_a_thread, daemon=True)
        thread.start()
        # The push gives up after realtime.SEND_TIMEOUT_SECONDS; without that it would wait for
        # the frozen Redis for ever (until the socket is closed below). 30 s is a hang check,
        # not a speed check: a loaded machine must not fail it.
        thread.join(30)
        returned = not thread.is_alive()
        black_hole.close()  # resets the waiting connections: the send gets going again
        thread.join(30)

    assert Message.objects.filter(conversation=conversation, body="Redis hangt.").exists()
    assert returned, "message_send still waiting for the frozen Redis 30 s after it was called"


def test_conversation_page_opens_with_the_redis_cache_away(gp, conversation, secure_client):
    client = secure_client(gp, client=Client())
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    with override_settings(CACHES=caches):
        response = client.get(reverse("conversations:detail", args=[conversation.pk]))
    assert response.status_code == 200


def test_an_answer_to_a_browser_that_just_left_is_dropped_quietly():
    """A page sends its ping and is gone before the pong: Daphne's protocol refuses the frame
    ('Attempt to send on a closed protocol'). That must not surface as an application error
    (logged by Daphne, and the consumer's task ended) — the next page catches up."""
    from autobahn.exception import Disconnected

    from conversations.consumers import LiveConsumer

    consumer = LiveConsumer()

    async def closed_protocol(message):
        raise Disconnected("Attempt to send on a closed protocol")

    consumer.base_send = closed_protocol
    async_to_sync(consumer.send_json)({"type": "pong"})  # no exception
