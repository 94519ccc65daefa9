"""Websocket clients as the page holds them (autobahn: in the lock file through Daphne)."""

from __future__ import annotations

import asyncio
import json
import random
import time

PING_SECONDS = 30


class ClientState:
    # As static/js/live.js: no read frame for one's own message (the send marked it read), and
    # at most one a second per page with the latest id. 0: a read frame per message, as live.js
    # did before (bench_live_goals.py sets it for the tree before the change).
    read_every = 1.0

    def __init__(self, user_id: int, cookie: str, conversation: int | None = None):
        self.user_id = user_id
        self.cookie = cookie
        self.conversation = conversation
        self.proto = None
        self.opened: asyncio.Future | None = None
        self.subscribed: asyncio.Future | None = None
        self.received: dict[int, float] = {}
        self.duplicates = 0
        self.frames: dict[str, int] = {}
        self.errors: list = []
        self.closed: tuple | None = None
        self.read_frames = True
        self.last_id = 0
        self.read_sent = 0
        self.read_at = 0.0
        self.read_timer = None
        self.badge = None  # callable, when --badge
        # --send socket: client key -> future for the answer ("sent" or "error") and the moment
        # it arrived; the composer's next key, as the "sent" frame hands it out.
        self.acks: dict[str, asyncio.Future] = {}
        self.next_key: str | None = None
        # bench_live_goals.py's sequential run: resolved with (moment, id) by the next new message.
        self.waiter: asyncio.Future | None = None


def client_protocol():
    from autobahn.asyncio.websocket import WebSocketClientProtocol

    class LiveProtocol(WebSocketClientProtocol):
        def onOpen(self):
            state: ClientState = self.factory.state
            state.proto = self
            if not state.opened.done():
                state.opened.set_result(True)

        def onMessage(self, payload, isBinary):
            now = time.monotonic()
            state: ClientState = self.factory.state
            data = json.loads(payload)
            kind = data.get("type")
            state.frames[kind] = state.frames.get(kind, 0) + 1
            if kind == "message":
                if data["id"] in state.received:
                    state.duplicates += 1
                else:
                    state.received[data["id"]] = now
                    if state.waiter is not None and not state.waiter.done():
                        state.waiter.set_result((now, data["id"]))
                if state.read_frames and data["conversation"] == state.conversation:
                    state.last_id = max(state.last_id, data["id"])
                    if state.read_every and data.get("author") == state.user_id:
                        state.read_sent = max(state.read_sent, data["id"])
                    self.mark_read()
            elif kind == "messages":
                if state.subscribed and not state.subscribed.done():
                    state.subscribed.set_result(True)
            elif kind == "inbox" and state.badge is not None:
                # As live.js: no refetch for the conversation on screen (it is read at once).
                if data.get("conversation") != state.conversation:
                    state.badge(state)
            elif kind == "sent":
                state.next_key = data.get("next_client_key")
                answered = state.acks.pop(data.get("client_key"), None)
                if answered is not None and not answered.done():
                    answered.set_result((now, data))
            elif kind == "error":
                state.errors.append(data)
                answered = state.acks.pop(data.get("client_key"), None)
                if answered is not None and not answered.done():
                    answered.set_result((now, data))

        def onClose(self, wasClean, code, reason):
            state: ClientState = self.factory.state
            state.closed = (code, reason)
            if state.opened and not state.opened.done():
                state.opened.set_exception(ConnectionError(f"closed {code} {reason}"))

        def marked_later(self) -> None:
            self.factory.state.read_timer = None
            self.mark_read()

        def mark_read(self) -> None:
            state: ClientState = self.factory.state
            if state.last_id <= state.read_sent:
                return
            wait = state.read_at + state.read_every - time.monotonic()
            if wait > 0:
                if state.read_timer is None:
                    loop = asyncio.get_running_loop()
                    state.read_timer = loop.call_later(wait, self.marked_later)
                return
            self.send_json(
                {"type": "read", "conversation": state.conversation, "message": state.last_id}
            )
            state.read_at, state.read_sent = time.monotonic(), state.last_id

        def send_json(self, frame: dict) -> None:
            self.sendMessage(json.dumps(frame).encode())

    return LiveProtocol


async def connect_all(
    states: list[ClientState], port: int, concurrency: int = 20, *, tolerant: bool = False
) -> float:
    """Open (and subscribe) every client's socket; ``tolerant``: a socket that does not open is
    counted and left out instead of ending the run."""
    from autobahn.asyncio.websocket import WebSocketClientFactory

    protocol = client_protocol()
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(concurrency)

    async def one(state: ClientState):
        async with gate:
            factory = WebSocketClientFactory(
                f"ws://127.0.0.1:{port}/ws/live/",
                origin=f"http://127.0.0.1:{port}",
                headers={"Cookie": state.cookie},
            )
            factory.protocol = protocol
            factory.state = state
            state.opened = loop.create_future()
            await loop.create_connection(factory, "127.0.0.1", port)
            await asyncio.wait_for(state.opened, 30)
            state.proto.send_json({"type": "ping", "away": False})
            if state.conversation:
                state.subscribed = loop.create_future()
                state.proto.send_json(
                    {"type": "subscribe", "conversation": state.conversation, "after": 0}
                )
                await asyncio.wait_for(state.subscribed, 30)

    t0 = time.perf_counter()
    results = await asyncio.gather(*(one(s) for s in states), return_exceptions=tolerant)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        print(f"{len(failed)} of {len(states)} websockets did not open; first: {failed[0]!r}")
    return time.perf_counter() - t0


async def pinger(states: list[ClientState], stop_at: float) -> None:
    """A ping frame every 30 s per socket, counted from when it opened (as live.js does)."""
    start = time.monotonic()
    offsets = {id(s): random.uniform(0, PING_SECONDS) for s in states}
    sent = dict.fromkeys(offsets, 0)
    while time.monotonic() < stop_at:
        await asyncio.sleep(0.25)
        elapsed = time.monotonic() - start
        for state in states:
            due = int((elapsed - offsets[id(state)]) // PING_SECONDS) + 1
            if due > sent[id(state)] and state.closed is None:
                sent[id(state)] = due
                state.proto.send_json({"type": "ping", "away": False})


def make_badge_fetcher(port: int, timings: list[float], statuses: dict[int, int]):
    """On an 'inbox' frame the page GETs the unread badge (htmx: one at a time, queue last)."""
    busy: dict[int, bool] = {}
    again: dict[int, bool] = {}

    async def fetch(state: ClientState):
        while True:
            t0 = time.monotonic()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                (
                    f"GET /gesprekken/teller/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Cookie: {state.cookie}\r\nHX-Request: true\r\nConnection: close\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            data = await reader.read()
            writer.close()
            timings.append((time.monotonic() - t0) * 1000)
            status = int(data.split(b" ", 2)[1]) if data else 0
            statuses[status] = statuses.get(status, 0) + 1
            if not again.pop(state.user_id, False):
                break
        busy[state.user_id] = False

    def trigger(state: ClientState):
        if busy.get(state.user_id):
            again[state.user_id] = True
            return
        busy[state.user_id] = True
        asyncio.get_running_loop().create_task(fetch(state))

    return trigger
