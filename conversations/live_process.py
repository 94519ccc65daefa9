"""What the sockets of one Daphne process share: the threads (and database connections) for
their database work, the read marks they store together, and the watch that looks at all their
grants at once. ``conversations.consumers`` holds one of each; nothing here knows a frame."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async as _database_sync_to_async
from django.conf import settings
from django.db import connections

from accounts.presence import online_atouch, online_atouch_many
from conversations.live_grant import fingerprints
from conversations.services.messages import read_marks_store

logger = logging.getLogger(__name__)

# The threads that do the sockets' database work, each with one persistent connection
# (``CONN_MAX_AGE``, checked before reuse): a Daphne holds at most ``LIVE_DB_THREADS``
# connections for its sockets, however many sockets it serves.
DB_THREADS = ThreadPoolExecutor(max_workers=settings.LIVE_DB_THREADS, thread_name_prefix="live-db")
# The rights watch's own thread (and connection): its look must not queue behind the sockets'
# work, or busy sockets' trust windows lapse and each looks for itself again.
WATCH_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-watch")


def database_sync_to_async(func):
    """Database work of a socket, on ``DB_THREADS`` rather than the one thread that Django's
    sync views share: hundreds of sockets must not queue behind each other (or behind a page
    request) for their reads and subscriptions. Every call here is independent of thread
    identity (no transactions span calls). Channels' wrapper does what a request's signals do
    around each call: a connection that is broken, left in a transaction or older than
    ``CONN_MAX_AGE`` is closed; a healthy one stays for the next call on that thread."""
    return _database_sync_to_async(func, thread_sensitive=False, executor=DB_THREADS)


def db_threads_close() -> None:
    """Close the connection each of ``DB_THREADS`` and the watch's thread keeps (a test that
    drops its database, a process that shuts down). One call per thread: each waits until every
    thread has one."""
    count = settings.LIVE_DB_THREADS
    barrier = threading.Barrier(count)

    def close():
        barrier.wait(timeout=10)
        connections.close_all()

    for future in [DB_THREADS.submit(close) for _thread in range(count)]:
        future.result()
    WATCH_THREAD.submit(connections.close_all).result()


# The watch covers the sockets that acted or got a push this recently; a socket quiet for
# longer looks at its own fingerprint when its window has lapsed.
WATCH_IDLE_SECONDS = 60.0


def _read_many(marks: dict[tuple[int, int], int]) -> None:
    read_marks_store(marks)


class ReadMarks:
    """The read marks of all the sockets of this process for their subscribed conversations
    (authorised when subscribed, left when access changes), stored together in one statement:
    the first at once, then at most once per ``every`` seconds; marks that arrive
    meanwhile are merged (the highest id per reader and conversation counts). A hundred open
    pages reading along cost one write a second, not a hundred."""

    def __init__(self, every: float):
        self.every = every
        self.pending: dict[tuple[int, int], int] = {}
        self.stored_at = 0.0
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def add(self, user_id: int, conversation_id: int, message_id: int) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.task, self.pending = loop, None, {}  # a new server (tests)
        key = (user_id, conversation_id)
        self.pending[key] = max(self.pending.get(key, 0), message_id)
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run())

    async def _run(self) -> None:
        while self.pending:
            wait = self.stored_at + self.every - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.flush()

    async def flush(self) -> None:
        """Store what is waiting now (also when a page closes: its marks are not lost)."""
        marks, self.pending = self.pending, {}
        if not marks:
            return
        self.stored_at = time.monotonic()
        try:
            await database_sync_to_async(_read_many)(marks)
        except Exception:
            # A read mark is a convenience: the next one (or the page) sets it again.
            logger.warning("live socket: %d read marks not stored", len(marks), exc_info=True)


class Presence:
    """The presence pings of all the sockets of this process, written together: a ping that
    says what this process last wrote for its user waits for the next write of them all (one
    pipelined Redis round trip, at most once per ``every`` seconds; the key lives 75 s and pages
    ping every 30 s); a ping that changes the state (away, back, or a user this process has not
    written yet) is written at once, so the others see it as it happens. Two thousand open pages
    cost one round trip a second, not sixty."""

    def __init__(self, every: float):
        self.every = every
        self.written: dict[int, bool] = {}  # user -> away, as this process last wrote it
        self.pending: dict[int, bool] = {}
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def touch(self, user_id: int, away: bool) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.task, self.pending, self.written = loop, None, {}, {}  # tests
        if self.written.get(user_id) is not away:
            self.written[user_id] = away
            self.pending.pop(user_id, None)
            await online_atouch(user_id, away=away)
            return
        self.pending[user_id] = away
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._later())

    async def _later(self) -> None:
        await asyncio.sleep(self.every)
        states, self.pending = self.pending, {}
        await online_atouch_many(states)


class RightsWatch:
    """One look for all the sockets of this process, instead of one per socket (hundreds of
    sockets that each re-read their session, user and memberships every few seconds were most
    of a busy Daphne's work). Only sockets active in the last ``WATCH_IDLE_SECONDS`` are in it."""

    def __init__(self, every: Callable[[], float]):
        self.every = every  # seconds between looks (half the sockets' trust window)
        self.consumers: set = set()
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def add(self, consumer) -> None:
        self.consumers.add(consumer)
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.loop is not loop:
            self.loop, self.task = loop, loop.create_task(self._run())

    def discard(self, consumer) -> None:
        self.consumers.discard(consumer)
        if not self.consumers and self.task is not None:
            self.task.cancel()  # the last socket of this server went: nothing to look at

    async def _run(self) -> None:
        while self.consumers:
            await asyncio.sleep(max(self.every(), 0.1))
            started = time.time()
            due = [
                c
                for c in list(self.consumers)
                if c.used_at > started - WATCH_IDLE_SECONDS and c.fingerprint is not None
            ]
            if not due:
                continue
            try:
                found = await _database_sync_to_async(
                    fingerprints, thread_sensitive=False, executor=WATCH_THREAD
                )([c.watch_key for c in due])
            except Exception:
                # Nothing is extended: each socket falls back to its own look.
                logger.warning("live socket: rights watch failed", exc_info=True)
                continue
            for consumer in due:
                consumer.watched(found.get(consumer.watch_key), started)
