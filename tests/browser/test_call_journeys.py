"""Video calls in real browsers: two and three Chromium contexts with a fake camera and
microphone connect peer to peer over loopback, signalled by the call's websocket on Daphne.

These journeys run **inside a private network namespace** (``unshare -n``, only a loopback
interface): ``tests/browser/test_call_netns.py`` starts this file there with
``CALL_NETNS=1``, on the embedded stack (SQLite, the in-memory channel layer: one Daphne
serves every browser). Nothing they do can leave the machine. Run directly, without
``CALL_NETNS``, they are skipped.

Chromium runs with ``--use-fake-device-for-media-stream`` (a test pattern and a beep),
``--use-fake-ui-for-media-stream`` (the permission prompt answered "allow") and
``--allow-loopback-in-peer-connection`` (ICE may use 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from meetings import call_services
from meetings.access import meeting_get_for
from meetings.call_access import call_get_for
from meetings.call_views import call_texts
from meetings.models import CallAttendance
from tests.browser.chromium import CHROMIUM_ARGS, chromium_path
from tests.browser.conftest import serious_violations
from tests.browser.test_conversation_journeys import dutch, log_in_with_totp, server
from tests.conversations.conftest import actor_for
from tests.factories import totp_enable
from tests.meetings.conftest import add_item, add_participant, meeting_by

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("CALL_NETNS") != "1",
        reason="runs inside a private network namespace (tests/browser/test_call_netns.py)",
    ),
]

__all__ = ["server"]  # the Daphne fixture of the conversation journeys

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--auto-select-desktop-capture-source=Entire screen",  # "Share screen" picks the screen
]
CONNECT_TIMEOUT = 20_000  # ms; ICE over loopback takes well under a second


@pytest.fixture(scope="module")
def browsers():
    """Chromium with a fake camera and microphone (``media``), with no device at all
    (``no_devices``), and with a camera whose permission is refused (``no_permission``), each
    launched once for the module."""
    path = chromium_path()
    if path is None:
        pytest.fail("no Chromium found")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        media = playwright.chromium.launch(executable_path=path, args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
        no_devices = playwright.chromium.launch(
            executable_path=path,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream"],
        )
        # A fake camera, but the permission prompt is not answered "allow" (headless: refused).
        no_permission = playwright.chromium.launch(
            executable_path=path,
            args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"],
        )
        yield {"media": media, "no_devices": no_devices, "no_permission": no_permission}
        for browser in (media, no_devices, no_permission):
            browser.close()


@pytest.fixture
def people(browsers, server):
    """``people(url=None, phone=False, browser="media")``: a person at their own device."""
    contexts = []

    def _page(url=None, *, phone=False, browser="media", permissions=("camera", "microphone")):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browsers[browser].new_context(
            base_url=url or server.url,
            viewport=size,
            is_mobile=phone,
            has_touch=phone,
            locale="nl-NL",
            permissions=list(permissions),
        )
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console",
            lambda m: page.console_errors.append(m.text) if m.type == "error" else None,
        )
        return page

    yield _page
    for context in contexts:
        context.close()


@pytest.fixture
def cast(server, request):
    gp = request.getfixturevalue("gp")
    nurse = request.getfixturevalue("nurse")
    physio = request.getfixturevalue("physio")
    secrets = request.getfixturevalue("totp_secret")
    secrets[physio.pk] = totp_enable(physio)
    shared = request.getfixturevalue("shared_patient")
    from tests.factories import CareNetworkMemberFactory
    from tests.meetings.conftest import membership_of

    CareNetworkMemberFactory(  # the nurse is in it already
        patient=shared, user=physio, organisation=membership_of(physio).organisation
    )
    meeting = meeting_by(gp, title="MDO ouderenzorg Stiens")
    add_item(gp, meeting, shared, "Sjoerd: insuline thuis of niet?")
    add_participant(gp, meeting, nurse)
    add_participant(gp, meeting, physio)
    actor = actor_for(gp)
    call = call_services.call_open_for_meeting(
        actor=actor, access=meeting_get_for(actor=actor, pk=meeting.pk)
    )

    class Cast:
        pass

    cast = Cast()
    cast.gp, cast.nurse, cast.physio, cast.secrets = gp, nurse, physio, secrets
    cast.meeting, cast.call = meeting, call
    return cast


def call_url(call) -> str:
    return reverse("meetings:call", args=[call.uuid])


def join(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=dutch("Switch on camera and microphone")).click()
    expect(page.locator("#call-stage")).to_be_visible()


REMOTE_PLAYING = """(count) => {
  const videos = Array.from(document.querySelectorAll('#call-videos [data-peer] video'));
  if (videos.length !== count) return false;
  return videos.every((v) => v.srcObject && v.videoWidth > 0 && v.currentTime > 0.3 &&
    v.srcObject.getVideoTracks().some((t) => t.readyState === 'live'));
}"""


def expect_remote_videos(page, count: int, timeout: int = CONNECT_TIMEOUT) -> None:
    """``count`` remote videos on the page, each decoding frames of a live track."""
    page.wait_for_function(REMOTE_PLAYING, arg=count, timeout=timeout)


def peer_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        "#call-videos [data-peer]", "els => els.map(e => e.dataset.peer)"
    )


def advancing(page, peer: str) -> bool:
    """The remote video of ``peer`` shows new frames (its time moves on)."""
    before = page.eval_on_selector(f"[data-peer='{peer}'] video", "v => v.currentTime")
    time.sleep(0.6)
    after = page.eval_on_selector(f"[data-peer='{peer}'] video", "v => v.currentTime")
    return after > before


def loopback_only(page) -> bool:
    """Every selected ICE candidate pair of the page is on 127.0.0.1."""
    return page.evaluate(
        """async () => {
      const addresses = [];
      for (const p of window.rzCall.peers.values()) {
        const stats = await p.pc.getStats();
        stats.forEach((s) => {
          if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) {
            const local = stats.get(s.localCandidateId);
            addresses.push(local.address || local.ip);
          }
        });
      }
      return addresses.length > 0 && addresses.every((a) => a === '127.0.0.1');
    }"""
    )


# --- two browsers ------------------------------------------------------------------------------


def test_two_browsers_connect_a_call_over_loopback_and_see_the_remote_video(server, cast, people):
    gp_page, nurse_page = people(), people()
    log_in_with_totp(gp_page, cast.gp.email, cast.secrets[cast.gp.pk])
    log_in_with_totp(nurse_page, cast.nurse.email, cast.secrets[cast.nurse.pk])
    # The MDO page offers the call; the chair joins from there.
    gp_page.goto(reverse("meetings:detail", args=[cast.meeting.pk]))
    gp_page.locator("#call-join").click()
    expect(gp_page).to_have_url(re.compile(str(cast.call.uuid)))
    gp_page.get_by_role("button", name=dutch("Switch on camera and microphone")).click()
    started = time.monotonic()
    join(nurse_page, call_url(cast.call))

    expect_remote_videos(gp_page, 1)
    expect_remote_videos(nurse_page, 1)
    print(
        "call: second browser joins → both play the other's video: "
        f"{time.monotonic() - started:.2f} s"
    )
    assert loopback_only(gp_page) and loopback_only(nurse_page)
    # Each sees the other's name, in the tile and in the list of people in the call.
    expect(gp_page.locator("#call-people")).to_contain_text(cast.nurse.get_full_name())
    expect(nurse_page.locator("#call-people")).to_contain_text(cast.gp.get_full_name())

    # Mute: the other's list says so.
    gp_page.locator("#call-mute").click()
    expect(nurse_page.locator("#call-people")).to_contain_text(dutch("muted"))
    assert gp_page.evaluate("() => window.rzCall.local.getAudioTracks().every((t) => !t.enabled)")
    # Screen sharing: the nurse's video of the gp becomes the screen (1280×720, the fake
    # camera is 640×480) without a new connection, and the camera comes back after.
    remote_width = "() => document.querySelector('#call-videos [data-peer] video').videoWidth"
    assert nurse_page.evaluate(remote_width) == 640
    gp_page.locator("#call-screen").click()
    expect(nurse_page.locator("#call-people")).to_contain_text(dutch("sharing the screen"))
    nurse_page.wait_for_function(f"() => ({remote_width})() === 1280", timeout=CONNECT_TIMEOUT)
    gp_page.locator("#call-screen").click()
    nurse_page.wait_for_function(f"() => ({remote_width})() === 640", timeout=CONNECT_TIMEOUT)
    expect(nurse_page.locator("#call-people")).not_to_contain_text(dutch("sharing the screen"))
    # Chat in the call: arrives at the other and is kept with the call.
    nurse_page.locator("#call-chat-body").fill("Ik zie je goed, Gerrit.")
    nurse_page.locator("#call-chat-send").click()
    expect(gp_page.locator("#call-chat")).to_contain_text("Ik zie je goed, Gerrit.")
    assert cast.call.messages.get().body == "Ik zie je goed, Gerrit."
    assert gp_page.console_errors == [] and nurse_page.console_errors == []
    assert serious_violations(gp_page) == []


# --- three browsers: joining, leaving, a dropped socket ---------------------------------------


class Proxy:
    """A TCP proxy on 127.0.0.1 between one browser and Daphne; ``cut()`` drops every
    connection through it (as a phone losing its network would), new ones are served again."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self):
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self):
        self.listener.close()
        self.cut()


def test_a_third_joins_both_a_dropped_socket_rejoins_and_leaving_ends_streams_fast(
    server, cast, people
):
    proxy = Proxy(server.port)
    try:
        gp_page, nurse_page = people(), people()
        physio_page = people(proxy.url)  # the physio's network goes through the proxy
        log_in_with_totp(gp_page, cast.gp.email, cast.secrets[cast.gp.pk])
        log_in_with_totp(nurse_page, cast.nurse.email, cast.secrets[cast.nurse.pk])
        log_in_with_totp(physio_page, cast.physio.email, cast.secrets[cast.physio.pk])
        join(gp_page, call_url(cast.call))
        join(nurse_page, call_url(cast.call))
        expect_remote_videos(gp_page, 1)
        expect_remote_videos(nurse_page, 1)
        nurse_peer_at_gp = peer_ids(gp_page)[0]

        # A third joins the call of two and connects to both.
        join(physio_page, call_url(cast.call))
        for page in (gp_page, nurse_page, physio_page):
            expect_remote_videos(page, 2)
        physio_peer = next(p for p in peer_ids(gp_page) if p != nurse_peer_at_gp)

        # The physio's network drops: the socket is cut. The page connects again and joins
        # as a new peer; the gp and the nurse stay connected to each other all along.
        proxy.cut()
        cut_at = time.monotonic()
        gp_page.wait_for_function(
            "(peer) => !document.querySelector(`[data-peer='${peer}']`)",
            arg=physio_peer,
            timeout=CONNECT_TIMEOUT,
        )
        assert nurse_peer_at_gp in peer_ids(gp_page)
        assert advancing(gp_page, nurse_peer_at_gp)
        for page in (gp_page, nurse_page, physio_page):
            expect_remote_videos(page, 2)
        assert nurse_peer_at_gp in peer_ids(gp_page)  # the same connection, never dropped
        print(
            "call: socket cut → rejoined, video again at all three: "
            f"{time.monotonic() - cut_at:.2f} s"
        )
        new_physio_peer = next(p for p in peer_ids(gp_page) if p != nurse_peer_at_gp)
        assert new_physio_peer != physio_peer
        assert advancing(gp_page, new_physio_peer)

        # Leaving: the others lose the physio's streams within 2 seconds.
        physio_page.locator("#call-leave").click()
        started = time.monotonic()
        for page in (gp_page, nurse_page):
            page.wait_for_function(
                "(peer) => !document.querySelector(`[data-peer='${peer}']`)",
                arg=new_physio_peer,
                timeout=2_000,
            )
        left_after = time.monotonic() - started
        print(f"call: leave → gone at both others: {left_after:.2f} s")
        assert left_after < 2.0
        expect(physio_page.locator("#call-left")).to_be_visible()
        assert physio_page.evaluate(
            "() => window.rzCall.local.getTracks().every((t) => t.readyState === 'ended')"
        )
        rows = CallAttendance.objects.filter(call=cast.call, user=cast.physio).order_by("pk")
        assert len(rows) == 2 and all(r.left_at for r in rows)  # two sockets, both ended
    finally:
        proxy.close()


# --- the guest: waiting room, admitted, revoked -----------------------------------------------


def test_a_guest_on_a_phone_waits_is_let_in_and_a_revoked_link_stops_at_once(server, cast, people):
    actor = actor_for(cast.gp)
    _guest, token = call_services.guest_invite(
        actor=actor,
        access=call_get_for(actor=actor, uuid=cast.call.uuid, log=False),
        kind="guest",
        name="Dr. De Boer (specialist ouderengeneeskunde)",
        channel="link",
        valid_hours=2,
    )
    gp_page = people()
    log_in_with_totp(gp_page, cast.gp.email, cast.secrets[cast.gp.pk])
    join(gp_page, call_url(cast.call))

    guest_page = people(phone=True)
    requests = []
    guest_page.on("request", lambda r: requests.append(r.url))
    guest_page.goto(reverse("meetings:guest", args=[token]))
    assert serious_violations(guest_page) == []
    guest_page.get_by_label(dutch("Your name")).fill("Roos de Boer")
    guest_page.get_by_role("button", name=dutch("Continue")).click()
    expect(guest_page.locator("#call-intro")).to_contain_text(
        dutch(
            "For the video call your browser asks permission to use your camera and "
            "microphone. Choose “Allow” in the message that appears."
        )
    )
    assert serious_violations(guest_page) == []
    guest_page.get_by_role("button", name=dutch("Switch on camera and microphone")).click()
    expect(guest_page.locator("#call-status")).to_have_text(
        dutch("Wait a moment: a care provider will let you in.")
    )
    # Waiting: the host sees the name; nothing is connected to the guest yet.
    lobby = gp_page.locator("#call-lobby")
    expect(lobby).to_contain_text("Roos de Boer")
    time.sleep(1)
    assert guest_page.evaluate("() => window.rzCall.peers.size") == 0
    assert peer_ids(gp_page) == []

    lobby.get_by_role("button", name=dutch("Let in")).click()
    expect_remote_videos(guest_page, 1)
    expect_remote_videos(gp_page, 1)
    expect(lobby).to_be_hidden()
    # A phone: nothing wider than the screen.
    assert guest_page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    # The nurse revokes the link on her page: the guest is out at once.
    nurse_page = people()
    log_in_with_totp(nurse_page, cast.nurse.email, cast.secrets[cast.nurse.pk])
    nurse_page.goto(call_url(cast.call))
    nurse_page.locator("#guests").get_by_role("button", name=dutch("Revoke")).click()
    started = time.monotonic()
    expect(guest_page.locator("#call-status")).to_have_text(
        dutch("This link no longer works. Ask the care provider for a new one."), timeout=2_000
    )
    gp_page.wait_for_function(
        "() => document.querySelectorAll('#call-videos [data-peer]').length === 0", timeout=2_000
    )
    revoked_after = time.monotonic() - started
    print(f"call: revoke → guest out and gone at the host: {revoked_after:.2f} s")
    assert revoked_after < 2.0
    guest_page.reload()
    expect(guest_page.locator("h1")).to_have_text(dutch("This link no longer works"))

    attendance = CallAttendance.objects.get(guest__isnull=False)
    assert attendance.name == "Roos de Boer" and attendance.admitted_by == cast.gp
    assert attendance.left_at is not None
    # Nothing from a third party: every request went to the platform itself.
    assert requests and all(u.startswith(server.url) for u in requests), requests


# --- no permission, no camera -----------------------------------------------------------------


def test_refused_permission_and_a_missing_camera_are_explained_in_dutch(server, cast, people):
    with translation.override("nl"):
        texts = call_texts()
    assert texts["denied"].startswith("U heeft geen toestemming gegeven voor de camera")
    actor = actor_for(cast.gp)
    access = call_get_for(actor=actor, uuid=cast.call.uuid, log=False)
    tokens = [
        call_services.guest_invite(
            actor=actor, access=access, kind="patient", name=name, channel="link", valid_hours=2
        )[1]
        for name in ("Mevrouw Van der Meer", "Dochter Van der Meer")
    ]
    refused = people(phone=True, browser="no_permission", permissions=())  # said no
    refused.goto(reverse("meetings:guest", args=[tokens[0]]))
    refused.get_by_label(dutch("Your name")).fill("Geertje van der Meer")
    refused.get_by_role("button", name=dutch("Continue")).click()
    refused.get_by_role("button", name=dutch("Switch on camera and microphone")).click()
    expect(refused.locator("#call-media-error")).to_have_text(texts["denied"])
    expect(refused.locator("#call-stage")).to_be_hidden()

    missing = people(phone=True, browser="no_devices")  # a computer without camera
    missing.goto(reverse("meetings:guest", args=[tokens[1]]))
    missing.get_by_label(dutch("Your name")).fill("Anneke van der Meer")
    missing.get_by_role("button", name=dutch("Continue")).click()
    missing.get_by_role("button", name=dutch("Switch on camera and microphone")).click()
    expect(missing.locator("#call-media-error")).to_have_text(texts["notfound"])
    # Joining without camera still works: into the waiting room.
    missing.get_by_role("button", name=dutch("Join without camera")).click()
    expect(missing.locator("#call-status")).to_have_text(
        dutch("Wait a moment: a care provider will let you in.")
    )
