"""A websocket client and a browser (standard library only), as a browser tab holds them:
for ``live_redis_down.py`` and ``live_two_daphnes.py``."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import queue
import socket
import struct
import threading
import time
import uuid
from urllib.parse import urlencode


class LiveSocket:
    """A websocket client for ``ws/live/`` (RFC 6455, text frames), as a browser tab holds it.

    A reader thread takes every frame off the wire at once and answers Daphne's pings, as a
    browser does; frames wait in a queue. The time of arrival is kept with each frame.
    """

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, port: int, cookie: str, timeout: float = 10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(
            (
                f"GET /ws/live/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if " 101 " not in status:
            self.sock.close()
            raise ConnectionError(f"handshake refused: {status}")
        accept = base64.b64encode(hashlib.sha1(key + self.GUID).digest())  # noqa: S324 (RFC 6455)
        if accept not in head:
            raise ConnectionError("bad Sec-WebSocket-Accept")
        self.sock.settimeout(None)
        self.frames: queue.Queue = queue.Queue()
        self.write_lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()

    def _write(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = bytes([0x80 | opcode, 0x80 | size])
        elif size < 65536:
            header = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", size)
        else:
            header = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", size)
        with self.write_lock:
            self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, **frame) -> None:
        self._write(0x1, json.dumps(frame).encode())

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _reader(self) -> None:
        data = b""
        try:
            while True:
                first, second = self._read(2)
                size = second & 0x7F
                if size == 126:
                    (size,) = struct.unpack("!H", self._read(2))
                elif size == 127:
                    (size,) = struct.unpack("!Q", self._read(8))
                payload = self._read(size)
                opcode = first & 0x0F
                if opcode == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    self.frames.put(({"type": "closed", "code": code}, time.monotonic()))
                    return
                if opcode == 0x9:
                    self._write(0xA, payload)
                elif opcode in (0x0, 0x1):
                    data += payload
                    if first & 0x80:
                        self.frames.put((json.loads(data), time.monotonic()))
                        data = b""
        except (EOFError, OSError):
            self.frames.put(({"type": "closed", "code": None}, time.monotonic()))

    def receive(self, timeout: float) -> dict | None:
        """The next frame, or None when none came within ``timeout`` s."""
        try:
            frame, self.arrived = self.frames.get(timeout=timeout)
        except queue.Empty:
            return None
        return frame

    def next(self, kind: str, timeout: float) -> dict | None:
        """The next frame of ``kind`` (or a close) within ``timeout`` s; others are passed over."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = self.receive(left)
            if frame is None or frame["type"] in (kind, "closed"):
                return frame
        return None

    def subscribe(self, conversation: int, after: int, timeout: float = 10) -> list[dict] | None:
        self.send(type="subscribe", conversation=conversation, after=after)
        frame = self.next("messages", timeout)
        return frame["items"] if frame and frame["type"] == "messages" else None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._write(0x8, struct.pack("!H", 1000))
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class Browser:
    """One user's cookies and requests (no redirects followed: every status is shown)."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.cookies = dict(cookies)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, data=None, headers=None, timeout: float = 60):
        """Returns (status, location, body, ms); the status is an exception's name on failure."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        body = urlencode(data).encode() if data is not None else None
        all_headers = {"Cookie": self.cookie_header(), **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", "replace")
        except Exception as exc:
            return type(exc).__name__, "", "", (time.perf_counter() - t0) * 1000
        finally:
            connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name] = rest.split(";", 1)[0]
        ms = (time.perf_counter() - t0) * 1000
        return response.status, response.getheader("Location", ""), content, ms

    def post_message(self, conversation: int, body: str, *, htmx: bool, timeout: float = 60):
        from django.conf import settings

        data = {
            # Django accepts the cookie's secret itself as the form token.
            "csrfmiddlewaretoken": self.cookies[settings.CSRF_COOKIE_NAME],
            "client_key": str(uuid.uuid4()),
            "body": body,
        }
        headers = {"HX-Request": "true"} if htmx else {}
        return self.request(
            "POST", f"/gesprekken/{conversation}/berichten/", data, headers, timeout=timeout
        )


def session_cookies(user) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
