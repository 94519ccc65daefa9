"""A Web Push service on 127.0.0.1 for tests: a real HTTP server in a thread that checks what
a browser's push service checks (the VAPID signature and claims, RFC 8292) and decrypts the
body the way the browser would (aes128gcm, RFC 8291), so a test sees the plaintext payload.

``push_server`` (fixture) answers 201 unless told otherwise per device (``answer(path, 410)``);
``device(user, name)`` makes a subscriber key pair and stores the subscription.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from accounts.models import PushSubscription

SUBJECT = "mailto:helpdesk@example.nl"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass
class Received:
    path: str
    payload: dict | None = None
    plaintext: bytes = b""
    problems: list[str] = field(default_factory=list)


class PushService:
    def __init__(self, *, vapid_public: bytes, subject: str):
        self.vapid_public = vapid_public
        self.subject = subject
        self.devices: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.answers: dict[str, list[int]] = {}
        self.received: list[Received] = []
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service.lock:
                    queue = service.answers.get(self.path, [])
                    status = queue.pop(0) if queue else 201
                    if status == 201:
                        service.received.append(service.check(self.path, self.headers, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, path: str, *statuses: int) -> None:
        self.answers[path] = list(statuses)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    # --- what a real push service and browser check --------------------------------------------
    def check(self, path, headers, body) -> Received:
        got = Received(path=path)
        problems = got.problems
        try:
            self._check_vapid(headers.get("Authorization", ""), problems)
        except Exception as exc:  # a malformed header is a problem, not a crash of the server
            problems.append(f"VAPID header unreadable: {exc!r}")
        if headers.get("Content-Encoding") != "aes128gcm":
            problems.append(f"Content-Encoding {headers.get('Content-Encoding')!r}")
        if not (headers.get("TTL") or "").isdigit():
            problems.append(f"TTL {headers.get('TTL')!r}")
        # RFC 8188 header: salt (16) | record size (4) | idlen (1) | keyid (the sender's key)
        idlen = body[20] if len(body) > 21 else 0
        keyid = body[21 : 21 + idlen]
        if idlen != 65 or keyid[:1] != b"\x04":
            problems.append(f"keyid is not a 65-byte P-256 public key (idlen {idlen})")
        device = self.devices.get(path)
        if device is None:
            problems.append(f"unknown device {path}")
            return got
        private_key, auth = device
        try:
            got.plaintext = http_ece.decrypt(
                body, private_key=private_key, auth_secret=auth, version="aes128gcm"
            )
            got.payload = json.loads(got.plaintext)
        except Exception as exc:
            problems.append(f"cannot decrypt: {exc!r}")
        return got

    def _check_vapid(self, authorization: str, problems: list[str]) -> None:
        scheme, _space, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            problems.append(f"Authorization scheme {scheme!r}")
            return
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        token, key = fields["t"], fields["k"]
        if b64url_decode(key) != self.vapid_public:
            problems.append("k= is not the server's VAPID public key")
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        if header.get("alg") != "ES256":
            problems.append(f"JWT alg {header.get('alg')!r}")
        signature = b64url_decode(signature_b64)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
        try:
            public.verify(
                encode_dss_signature(r, s),
                f"{header_b64}.{claims_b64}".encode(),
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature:
            problems.append("VAPID JWT signature does not verify")
        if claims.get("aud") != self.origin:
            problems.append(f"aud {claims.get('aud')!r} is not {self.origin}")
        if not time.time() < int(claims.get("exp", 0)) <= time.time() + 24 * 3600:
            problems.append(f"exp {claims.get('exp')!r} not within the next 24 hours")
        if claims.get("sub") != self.subject:
            problems.append(f"sub {claims.get('sub')!r}")

    # --- subscribers ---------------------------------------------------------------------------
    def device(self, user, name: str) -> PushSubscription:
        """A browser of ``user`` that switched push on: its own key pair and auth secret."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        path = f"/push/{name}"
        self.devices[path] = (private_key, auth)
        return PushSubscription.objects.create(
            user=user,
            endpoint=self.origin + path,
            p256dh=b64url(public_bytes(private_key)),
            auth=b64url(auth),
            user_agent="Firefox · Linux",
        )


@pytest.fixture
def vapid(settings):
    """VAPID keys for this test (push is off without them), and loopback endpoints allowed."""
    key = ec.generate_private_key(ec.SECP256R1())
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64url(
        key.private_numbers().private_value.to_bytes(32, "big")
    )
    settings.WEBPUSH_VAPID_PUBLIC_KEY = b64url(public_bytes(key))
    settings.WEBPUSH_SUBJECT = SUBJECT
    settings.WEBPUSH_ALLOW_LOOPBACK_HTTP = True
    return public_bytes(key)


@pytest.fixture
def push_server(vapid):
    service = PushService(vapid_public=vapid, subject=SUBJECT)
    yield service
    service.close()
