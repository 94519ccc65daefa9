"""Scale-out: two Daphne processes share one Redis and one database.

A message sent over HTTP through process B reaches a websocket held by process A — which is how
the product runs on more than one process. Everything is real: two ``python -m daphne``
processes, the allauth login form, the composer form with its CSRF token and client key, the
channel layer in Redis (database 11 of the test's Redis server) and the test's PostgreSQL
database (``transaction=True``, so what the test commits is what the processes read).

The in-memory channel layer and an in-memory SQLite database cannot span processes, so the test
is skipped unless ``DATABASE_URL`` is PostgreSQL and ``REDIS_URL`` is set (CI sets both).

Users are demo accounts and the processes run with ``DEMO_ACCOUNTS_REQUIRE_MFA=false``, so no
second factor is needed to log in; the conversation has no patient, so no secure session either.
The websocket client is a few lines of RFC 6455 (see ``LiveSocket``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import http.cookiejar
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.urls import reverse

from accounts.levels import Level, Role
from accounts.models import OrganisationKind
from conversations.models import Message
from tests.conversations.conftest import start
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
APP = "regiozorg.asgi:application"
WAIT = 10  # seconds for a push across processes on a busy CI machine

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
        or not settings.REDIS_URL,
        reason="needs DATABASE_URL=postgres://… and REDIS_URL=redis://…: the in-memory channel "
        "layer and SQLite cannot be shared by two Daphne processes",
    ),
]


# --- Two Daphne processes ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"daphne on {port} ended with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    pytest.fail(f"daphne did not listen on {port} within 60 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _environment(tmp_path: Path) -> dict[str, str]:
    """The test's database (by its test name) and database 11 of the test's Redis server."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{urllib.parse.quote(db['USER'] or '')}:"
        f"{urllib.parse.quote(db['PASSWORD'] or '')}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    redis = urllib.parse.urlsplit(settings.REDIS_URL)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "regiozorg.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": urllib.parse.urlunsplit(redis._replace(path="/11")),
        "DEMO_ACCOUNTS_REQUIRE_MFA": "false",
        "CELERY_TASK_ALWAYS_EAGER": "true",  # no worker here; notifications run in-process
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def daphnes(transactional_db, tmp_path):
    """Ports of two Daphne processes; both are stopped again, whatever the test did.

    Depends on ``transactional_db`` so that the processes are gone before the tables are
    flushed (and before the test database is dropped).
    """
    env = _environment(tmp_path)
    processes: list[subprocess.Popen] = []
    ports = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = tmp_path / f"daphne-{name}.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), APP],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            _wait_for_port(port, process, log)
            ports.append(port)
        yield ports
    finally:
        for process in processes:
            _stop(process)


# --- A browser: cookies, forms with CSRF ------------------------------------------------------


class Browser:
    """Cookies for 127.0.0.1 (any port, as a browser keeps them), and the forms a user fills in."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, port: int, path: str) -> tuple[str, str]:
        with self.opener.open(f"http://127.0.0.1:{port}{path}", timeout=WAIT) as response:
            return response.geturl(), response.read().decode()

    def post(self, port: int, path: str, data: dict) -> tuple[str, str]:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(f"http://127.0.0.1:{port}{path}", body, timeout=WAIT) as response:
            return response.geturl(), response.read().decode()

    def login(self, port: int, email: str) -> None:
        _url, page = self.get(port, reverse("account_login"))
        url, _page = self.post(
            port,
            reverse("account_login"),
            {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": _field(page, "csrf")},
        )
        assert reverse("account_login") not in url, "login failed"

    def send_message(self, port: int, conversation_id: int, body: str) -> str:
        """Fill in the composer on the conversation page and post it; returns the final URL."""
        _url, page = self.get(port, reverse("conversations:detail", args=[conversation_id]))
        url, _page = self.post(
            port,
            reverse("conversations:message-create", args=[conversation_id]),
            {
                "csrfmiddlewaretoken": _field(page, "csrf"),
                "client_key": _field(page, "client_key"),
                "body": body,
            },
        )
        return url

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)


def _field(page: str, name: str) -> str:
    name = "csrfmiddlewaretoken" if name == "csrf" else name
    match = re.search(rf'name="{name}" value="([^"]+)"', page) or re.search(
        rf'value="([^"]+)" name="{name}"', page
    )
    assert match, f"no {name} on the page"
    return match.group(1)


# --- A websocket client ---------------------------------------------------------------------


class LiveSocket:
    """``ws/live/`` as the page opens it: a plain RFC 6455 client for text frames.

    Written out here because autobahn's asyncio client cannot run in this process: Django's
    ``daphne`` app has already committed txaio (autobahn's base) to Twisted.
    """

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, cookie: str) -> LiveSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16))
        writer.write(
            (
                f"GET /ws/live/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)).decode("latin-1")
        assert head.startswith("HTTP/1.1 101"), head
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head.split("\r\n")[1:])
        }
        accept = base64.b64encode(hashlib.sha1(key + cls.GUID).digest()).decode()
        assert headers.get("sec-websocket-accept") == accept, head
        return cls(reader, writer)

    def send(self, **frame) -> None:
        payload = json.dumps(frame).encode()
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = bytes([0x81, 0x80 | size])
        elif size < 65536:
            header = bytes([0x81, 0x80 | 126]) + struct.pack("!H", size)
        else:
            header = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", size)
        self.writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    async def _frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first, await self.reader.readexactly(size)

    async def receive(self) -> dict:
        """The next text frame as JSON; a close frame as ``{"type": "closed", "code": …}``."""
        data = b""
        while True:
            first, payload = await self._frame()
            opcode = first & 0x0F
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                return {"type": "closed", "code": code}
            if opcode == 0x9:  # ping: answer with a pong carrying the same data
                mask = os.urandom(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.writer.write(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
                continue
            if opcode in (0x1, 0x0):
                data += payload
                if first & 0x80:
                    return json.loads(data)

    async def next(self, kind: str) -> dict:
        while True:
            frame = await asyncio.wait_for(self.receive(), WAIT)
            assert frame["type"] != "closed", frame
            if frame["type"] == kind:
                return frame

    def close(self) -> None:
        self.writer.close()


# --- The test ---------------------------------------------------------------------------------


@pytest.fixture
def gp_and_nurse(db):
    """A GP and a district nurse with demo accounts (no second factor in the processes)."""
    practice = OrganisationFactory(name="Huisartsenpraktijk De Linde")
    nursing = OrganisationFactory(
        name="Thuiszorg Friesland", kind=OrganisationKind.DISTRICT_NURSING
    )
    gp = UserFactory(email="gp@delinde.nl", first_name="Gerrit", last_name="Postma")
    nurse = UserFactory(email="wijk@thuiszorg.nl", first_name="Nynke", last_name="Wiersma")
    MembershipFactory(user=gp, organisation=practice, level=Level.A, has_patient_data_access=True)
    MembershipFactory(user=nurse, organisation=nursing, role=Role.LEAD)
    # The processes know the default hashers only, not the test settings' fast MD5 one.
    password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    type(gp).objects.filter(pk__in=[gp.pk, nurse.pk]).update(
        is_demo_account=True, password=password
    )
    return gp, nurse


def test_message_sent_through_one_process_reaches_a_socket_on_the_other(daphnes, gp_and_nurse):
    port_a, port_b = daphnes
    gp, nurse = gp_and_nurse
    conversation = start(gp, nurse, subject="Overdracht weekend", body="Eerste bericht.")
    first = Message.objects.get(conversation=conversation)

    # A browser keeps its cookies per host, not per port: each user logs in through one process
    # and is then served by the other, so sessions are shared through the database too.
    nurse_browser, gp_browser = Browser(), Browser()
    nurse_browser.login(port_b, nurse.email)
    gp_browser.login(port_a, gp.email)
    body = "Meneer Dijkstra krijgt vanaf zaterdag insuline <b>2x</b> per dag."

    async def scenario():
        socket_on_a = await LiveSocket.open(port_a, nurse_browser.cookie_header())
        try:
            socket_on_a.send(type="subscribe", conversation=conversation.pk, after=first.pk)
            assert (await socket_on_a.next("messages"))["items"] == []
            sent_at = time.monotonic()
            url = await asyncio.to_thread(gp_browser.send_message, port_b, conversation.pk, body)
            frame = await socket_on_a.next("message")
            return url, frame, time.monotonic() - sent_at
        finally:
            socket_on_a.close()

    url, frame, seconds = asyncio.run(scenario())

    message = Message.objects.get(conversation=conversation, author=gp, body=body)
    assert url.endswith(
        f"{reverse('conversations:detail', args=[conversation.pk])}#message-{message.pk}"
    )
    assert frame["id"] == message.pk
    assert frame["conversation"] == conversation.pk
    assert "&lt;b&gt;2x&lt;/b&gt;" in frame["html"]
    assert Message.objects.filter(conversation=conversation).count() == 2  # one send, one row
    print(f"HTTP post on B → frame on A: {seconds * 1000:.0f} ms")
