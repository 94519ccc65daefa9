"""The call's signalling socket (``regiozorg.call_consumer``): who may connect, what is relayed
to whom, the guest's waiting room, and links that stop working.

Every test runs the real ASGI application (origin validator, session middleware, router,
``CallConsumer``) through ``WebsocketCommunicator``, with sessions of a real login with the
second factor, and guest cookies from the real guest page.
"""

from __future__ import annotations

import contextlib
import datetime
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings import call_services
from meetings.access import meeting_get_for
from meetings.call_access import GUEST_COOKIE, call_get_for
from meetings.models import CallAttendance, CallGuest
from regiozorg.asgi import application
from tests.conversations.test_consumers import cookie_header, cookie_of
from tests.meetings.conftest import actor_for

__all__ = ["cookie_of"]  # the fixture: a session cookie after a login with the second factor

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://localhost"
WAIT = 10  # seconds a frame may take (Redis in CI, a busy machine)
QUIET = 0.5
db = database_sync_to_async

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


def communicator(path: str, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", ORIGIN)]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


class Socket:
    def __init__(self, comm):
        self.comm = comm

    async def send(self, **frame):
        await self.comm.send_json_to(frame)

    async def next(self, kind: str) -> dict:
        while True:
            frame = await self.comm.receive_json_from(timeout=WAIT)
            if frame["type"] == kind:
                return frame

    async def rest(self) -> list[dict]:
        frames = []
        while not await self.comm.receive_nothing(timeout=QUIET):
            output = await self.comm.receive_output()
            if output["type"] == "websocket.close":
                frames.append({"type": "<closed>", "code": output.get("code")})
                break
            frames.append(json.loads(output["text"]))
        return frames

    async def closed_with(self) -> int:
        while True:
            output = await self.comm.receive_output(timeout=WAIT)
            if output["type"] == "websocket.close":
                return output.get("code")


@contextlib.asynccontextmanager
async def connected(path: str, cookie: bytes | None = None):
    comm = communicator(path, cookie)
    accepted, code = await comm.connect(timeout=WAIT)
    assert accepted, f"refused with {code}"
    try:
        yield Socket(comm)
    finally:
        await comm.disconnect(timeout=WAIT)


async def refused_with(path: str, cookie: bytes | None = None) -> int:
    comm = communicator(path, cookie)
    accepted, code = await comm.connect(timeout=WAIT)
    assert not accepted
    return code


async def waiting_peer_of(host: Socket) -> str:
    """The peer of the first guest in the waiting room, as the host's page learns it."""
    while True:
        waiting = (await host.next("lobby"))["waiting"]
        if waiting:
            return waiting[0]["peer"]


def user_path(call) -> str:
    return f"/ws/call/{call.uuid}/"


@pytest.fixture
def mdo_call(gp, mdo):
    meeting = mdo[0]
    actor = actor_for(gp)
    return call_services.call_open_for_meeting(
        actor=actor, access=meeting_get_for(actor=actor, pk=meeting.pk)
    )


def invite(user, call, *, hours=24, name="Dr. Jansen (specialist ouderengeneeskunde)"):
    actor = actor_for(user)
    access = call_get_for(actor=actor, uuid=call.uuid, log=False)
    guest, token = call_services.guest_invite(
        actor=actor,
        access=access,
        kind="guest",
        name=name,
        channel="link",
        valid_hours=hours,
    )
    return guest, token


def guest_cookie(token: str, name: str = "Jan Jansen") -> bytes:
    """The cookie the guest page sets after the guest gave their name (the real page)."""
    client = Client()
    response = client.post(reverse("meetings:guest", args=[token]), {"name": name})
    assert response.status_code == 200, response.status_code
    return f"{GUEST_COOKIE}={client.cookies[GUEST_COOKIE].value}".encode()


# --- who may connect -----------------------------------------------------------------------------


def test_a_stranger_and_an_anonymous_visitor_are_refused(mdo_call, physio, cookie_of):
    """The physio takes no part in the MDO: closed with 4403 before anything is said."""
    physio_cookie = cookie_of(physio)

    async def scenario():
        assert await refused_with(user_path(mdo_call), physio_cookie) == 4403
        assert await refused_with(user_path(mdo_call)) == 4401

    async_to_sync(scenario)()
    assert not CallAttendance.objects.exists()


def test_participants_meet_and_signals_go_only_to_the_peer_addressed(
    mdo_call, gp, nurse, cookie_of
):
    gp_cookie, nurse_cookie = cookie_of(gp), cookie_of(nurse)

    async def scenario():
        async with connected(user_path(mdo_call), gp_cookie) as chair:
            await chair.send(type="join")
            welcome = await chair.next("welcome")
            assert welcome["peers"] == []
            chair_peer = welcome["you"]
            async with connected(user_path(mdo_call), nurse_cookie) as nurse_socket:
                await nurse_socket.send(type="join")
                nurse_welcome = await nurse_socket.next("welcome")
                assert [p["peer"] for p in nurse_welcome["peers"]] == [chair_peer]
                assert "channel" not in nurse_welcome["peers"][0]  # internal, never sent
                joined = await chair.next("peer-joined")
                assert joined["peer"] == nurse_welcome["you"]
                # An offer and a candidate reach the chair, from the nurse, nothing else added.
                await nurse_socket.send(type="signal", to=chair_peer, description=OFFER)
                await nurse_socket.send(type="signal", to=chair_peer, candidate=CANDIDATE)
                signal = await chair.next("signal")
                assert signal == {
                    "type": "signal",
                    "from": nurse_welcome["you"],
                    "description": OFFER,
                }
                assert (await chair.next("signal"))["candidate"] == CANDIDATE
                # To a peer that is not in the call: refused, relayed to nobody.
                await nurse_socket.send(type="signal", to="f" * 24, description=OFFER)
                assert (await nurse_socket.next("error"))["message"] == "unknown peer"
                assert await chair.rest() == []

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "signal", "to": "x", "description": OFFER},  # not a peer id
        {"type": "signal", "to": "a" * 24, "description": {"type": "pranswer", "sdp": ""}},
        {"type": "signal", "to": "a" * 24, "description": OFFER, "candidate": CANDIDATE},
        {"type": "signal", "to": "a" * 24, "candidate": {**CANDIDATE, "extra": "x"}},
        {"type": "signal", "to": "a" * 24, "description": {"type": "offer", "sdp": "x" * 70000}},
        {"type": "state", "audio": "yes"},
        {"type": "join", "room": "other"},
        {"type": "relay", "to": "a" * 24},
        {"type": "chat", "body": "", "client_key": "7b4c1b3e-8d7a-4d7e-9c55-3c5a3e0f1a22"},
    ],
)
def test_bad_frames_get_an_error_and_change_nothing(mdo_call, gp, nurse, cookie_of, frame):
    gp_cookie, nurse_cookie = cookie_of(gp), cookie_of(nurse)

    async def scenario():
        async with connected(user_path(mdo_call), gp_cookie) as chair:
            await chair.send(type="join")
            await chair.next("welcome")
            async with connected(user_path(mdo_call), nurse_cookie) as nurse_socket:
                await nurse_socket.send(type="join")
                await nurse_socket.next("welcome")
                await chair.next("peer-joined")
                await nurse_socket.send(**frame)
                assert (await nurse_socket.next("error"))["type"] == "error"
                assert [f["type"] for f in await chair.rest()] == []

    async_to_sync(scenario)()
    assert not mdo_call.messages.exists()


def test_a_guest_waits_until_admitted_and_hears_nothing_before(mdo_call, gp, cookie_of):
    guest_link, token = invite(gp, mdo_call)
    gp_cookie, cookie = cookie_of(gp), guest_cookie(token)

    async def scenario():
        async with connected(user_path(mdo_call), gp_cookie) as chair:
            await chair.send(type="join")
            chair_peer = (await chair.next("welcome"))["you"]
            assert (await chair.next("lobby"))["waiting"] == []
            async with connected(f"/ws/gesprek/{token}/", cookie) as guest:
                await guest.send(type="join")
                await guest.next("waiting")
                lobby = await chair.next("lobby")
                assert [w["name"] for w in lobby["waiting"]] == ["Jan Jansen"]
                waiting_peer = lobby["waiting"][0]["peer"]
                # Waiting: may not signal, and gets no chat or signals of the call.
                await guest.send(type="signal", to=chair_peer, description=OFFER)
                assert (await guest.next("error"))["message"] == "not in the call"
                await guest.send(type="admit", peer=waiting_peer)  # only account holders admit
                assert (await guest.next("error"))["message"] == "not allowed"
                await chair.send(type="signal", to=waiting_peer, description=OFFER)
                assert (await chair.next("error"))["message"] == "unknown peer"
                assert [f["type"] for f in await guest.rest()] == []
                # Admitted: now in the call, the chair hears of it, and signals flow.
                await chair.send(type="admit", peer=waiting_peer)
                await guest.next("admitted")
                welcome = await guest.next("welcome")
                assert [p["peer"] for p in welcome["peers"]] == [chair_peer]
                assert (await chair.next("peer-joined"))["guest"] is True
                await guest.send(type="signal", to=chair_peer, description=OFFER)
                assert (await chair.next("signal"))["from"] == waiting_peer

    async_to_sync(scenario)()
    attendance = CallAttendance.objects.get(guest=guest_link)
    assert attendance.name == "Jan Jansen"
    assert attendance.admitted_by == gp
    assert attendance.admitted_at is not None and attendance.left_at is not None


def test_a_revoked_link_closes_the_guests_socket_at_once(mdo_call, gp, nurse, cookie_of):
    guest_link, token = invite(gp, mdo_call)
    gp_cookie, cookie = cookie_of(gp), guest_cookie(token)

    def revoke():  # by another participant, on their page
        actor = actor_for(nurse)
        access = call_get_for(actor=actor, uuid=mdo_call.uuid, log=False)
        call_services.guest_revoke(actor=actor, access=access, guest_pk=guest_link.pk)

    async def scenario():
        async with connected(user_path(mdo_call), gp_cookie) as chair:
            await chair.send(type="join")
            await chair.next("welcome")
            async with connected(f"/ws/gesprek/{token}/", cookie) as guest:
                await guest.send(type="join")
                await guest.next("waiting")
                peer = await waiting_peer_of(chair)
                await chair.send(type="admit", peer=peer)
                await guest.next("welcome")
                await chair.next("peer-joined")
                await db(revoke)()
                assert (await guest.next("revoked"))["type"] == "revoked"
                assert await guest.closed_with() == 4410
                assert (await chair.next("peer-left"))["peer"] == peer
        # A new socket with the same link: refused.
        assert await refused_with(f"/ws/gesprek/{token}/", cookie) == 4410

    async_to_sync(scenario)()
    assert Client().get(reverse("meetings:guest", args=[token])).status_code == 410


def test_a_guest_link_expires_and_opens_only_its_own_call(
    mdo_call, gp, nurse, shared_patient, cookie_of
):
    """The token names one call; another link's cookie opens nothing; an expired link gives
    410 and a closed socket."""
    from network.access import patient_access_for

    actor = actor_for(gp)
    other_call = call_services.call_open_for_patient(
        actor=actor, access=patient_access_for(actor=actor, pk=shared_patient.pk)
    )
    link_a, token_a = invite(gp, mdo_call)
    _link_b, token_b = invite(gp, other_call, name="Mantelzorger")
    cookie_a = guest_cookie(token_a)

    async def scenario():
        async with connected(f"/ws/gesprek/{token_a}/", cookie_a) as guest:
            await guest.send(type="join")
            await guest.next("waiting")
        # The cookie of link A with the token of link B: refused (the page asks the name).
        assert await refused_with(f"/ws/gesprek/{token_b}/", cookie_a) == 4403

    async_to_sync(scenario)()
    rows = CallAttendance.objects.filter(guest=link_a)
    assert [r.call_id for r in rows] == [mdo_call.pk]

    CallGuest.objects.filter(pk=link_a.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert Client().get(reverse("meetings:guest", args=[token_a])).status_code == 410

    async def expired():
        assert await refused_with(f"/ws/gesprek/{token_a}/", cookie_a) == 4410

    async_to_sync(expired)()
    assert Client().get(reverse("meetings:guest", args=["x" * 32])).status_code == 404


def test_logging_out_closes_the_call_socket(mdo_call, gp, secure_client):
    client = secure_client(gp, client=Client())
    cookie = cookie_header(client)

    async def scenario():
        async with connected(user_path(mdo_call), cookie) as chair:
            await chair.send(type="join")
            await chair.next("welcome")
            await db(client.post)(reverse("account_logout"))
            assert await chair.closed_with() == 4401

    async_to_sync(scenario)()
    assert CallAttendance.objects.get().left_at is not None


def test_a_third_participant_gets_both_and_leaving_tells_the_others(
    mdo_call, gp, nurse, physio_in_network, mdo, cookie_of
):
    from tests.meetings.conftest import add_participant

    add_participant(gp, mdo[0], physio_in_network)
    cookies = [cookie_of(u) for u in (gp, nurse, physio_in_network)]

    async def scenario():
        async with (
            connected(user_path(mdo_call), cookies[0]) as a,
            connected(user_path(mdo_call), cookies[1]) as b,
            connected(user_path(mdo_call), cookies[2]) as c,
        ):
            await a.send(type="join")
            peer_a = (await a.next("welcome"))["you"]
            await b.send(type="join")
            peer_b = (await b.next("welcome"))["you"]
            await c.send(type="join")
            welcome = await c.next("welcome")
            assert {p["peer"] for p in welcome["peers"]} == {peer_a, peer_b}
            await a.next("peer-joined")
            await b.next("peer-joined")
            await c.send(type="leave")
            assert await c.closed_with() == 1000
            assert (await a.next("peer-left"))["peer"] == welcome["you"]
            assert (await b.next("peer-left"))["peer"] == welcome["you"]

    async_to_sync(scenario)()


def test_chat_in_the_call_is_kept_with_the_call(mdo_call, gp, nurse, cookie_of):
    gp_cookie, nurse_cookie = cookie_of(gp), cookie_of(nurse)
    key = "7b4c1b3e-8d7a-4d7e-9c55-3c5a3e0f1a22"

    async def scenario():
        async with (
            connected(user_path(mdo_call), gp_cookie) as chair,
            connected(user_path(mdo_call), nurse_cookie) as nurse_socket,
        ):
            await chair.send(type="join")
            await chair.next("welcome")
            await nurse_socket.send(type="join")
            await nurse_socket.next("welcome")
            await nurse_socket.send(type="chat", body="Ik deel zo de wondfoto", client_key=key)
            await nurse_socket.send(type="chat", body="Ik deel zo de wondfoto", client_key=key)
            message = (await chair.next("chat"))["message"]
            assert message["body"] == "Ik deel zo de wondfoto"
            assert message["name"].startswith(nurse.get_full_name())
            assert [f["type"] for f in await chair.rest() if f["type"] == "chat"] == []

    async_to_sync(scenario)()
    assert [m.body for m in mdo_call.messages.all()] == ["Ik deel zo de wondfoto"]


def test_losing_the_patient_closes_a_patient_call_socket_at_once(
    gp, nurse, shared_patient, cookie_of
):
    """The nurse leaves the patient's care network: her open call socket closes (4403)."""
    from network.access import patient_access_for
    from network.services.patients import care_network_end

    actor = actor_for(nurse)
    call = call_services.call_open_for_patient(
        actor=actor, access=patient_access_for(actor=actor, pk=shared_patient.pk)
    )
    nurse_cookie = cookie_of(nurse)

    def end_membership():
        from network.models import CareNetworkMember

        member = CareNetworkMember.objects.get(patient=shared_patient, user=nurse)
        gp_actor = actor_for(gp)
        care_network_end(
            actor=gp_actor,
            access=patient_access_for(actor=gp_actor, pk=shared_patient.pk),
            member=member,
            reason="Zorg overgedragen",
        )

    async def scenario():
        async with connected(user_path(call), nurse_cookie) as socket:
            await socket.send(type="join")
            await socket.next("welcome")
            await db(end_membership)()
            assert await socket.closed_with() == 4403

    async_to_sync(scenario)()
