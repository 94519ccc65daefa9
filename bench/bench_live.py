"""Live delivery through Daphne and Redis: send → delivered latency, and idle websockets.

    uv run python bench/bench_live.py --clients 200 --conversations 50 --rate 20 --seconds 30 \
        --layer core|pubsub
    uv run python bench/bench_live.py --idle 2000 --layer core|pubsub

Everything runs on this machine: its own redis-server (a free port, nothing persisted; or
``--redis-url``), its own PostgreSQL database ``regiozorg_benchlive`` (created, migrated and
dropped again), one Daphne process (``python -m daphne``) with ``CHANNEL_LAYER``,
``CELERY_TASK_ALWAYS_EAGER=true`` and DEBUG as by default.

Latency run: users, memberships and conversations are made through the services
(``conversation_start``); each client logs in (``Client.force_login`` → session cookie), opens
``/ws/live/``, subscribes to its conversation and behaves like ``static/js/live.js``: a ``ping``
on open and every 30 s, a ``read`` frame after every ``message`` frame (``--no-read`` turns that
off; ``--badge`` also fetches the unread badge over HTTP on every ``inbox`` frame, as the page
does through htmx). A separate sender process calls ``message_send`` at ``--rate`` messages per
second, as a web request would, and notes the moment each send committed (an ``on_commit``
callback registered before the send's own ones). Latency = that moment → the recipient socket
has the ``message`` frame (CLOCK_MONOTONIC is one clock for all processes on Linux), over every
recipient (the author's own echo is not counted).

Idle run: ``--idle N`` users each hold one websocket (ping every 30 s, no subscription) for
``--hold`` seconds; Daphne's CPU is averaged over the last 30 s, memory is its RSS.

Process figures come from /proc (psutil is not installed). Prints figures; asserts nothing.
"""

# ruff: noqa: S603  (a bench: it starts redis-server, psql, Daphne and itself)
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from procs import describe, free_port, load, psql, stop, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "regiozorg_benchlive"
PG = "postgres://postgres@127.0.0.1:5432"
PING_SECONDS = 30
MESSAGE_ID = re.compile(rb'data-message-id="(\d+)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- machine and processes ------------------------------------------------------------------


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()


def machine() -> None:
    print(f"machine: nproc={sh('nproc')}; {sh('uptime')}")
    print(sh("free", "-m"))


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its children (a gunicorn master and its workers)."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    print(f"open files: soft limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} (hard {hard})")


# --- set-up: database, Redis, seed, Daphne ----------------------------------------------------


BENCH_SETTINGS = """from regiozorg.settings import *  # noqa: F403

# redis-py 8 reads with a 5-s socket timeout by default; the core layer blocks 5 s in BZPOPMIN.
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [  # noqa: F405
    {"address": REDIS_URL, "socket_timeout": None}  # noqa: F405
]
"""


def environment(args, tmp: Path) -> dict[str, str]:
    settings_module = "regiozorg.settings"
    if args.no_socket_timeout:
        (tmp / "bench_live_settings.py").write_text(BENCH_SETTINGS)
        settings_module = "bench_live_settings"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": args.redis_url,
        "CHANNEL_LAYER": args.layer,
        # "queue" as in production: tasks go to Redis for a worker (none runs here, so the
        # notification mails wait in the queue); "eager" runs them inside the send.
        "CELERY_TASK_ALWAYS_EAGER": "true" if args.celery == "eager" else "false",
        "DATA_DIR": str(tmp),
        "PYTHONPATH": f"{ROOT}:{tmp}",
    } | ({"DB_CONN_MAX_AGE": args.conn_max_age} if args.conn_max_age else {})


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(tmp), "--maxclients", "10000"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process, f"redis://127.0.0.1:{port}/0"


def create_database(env: dict[str, str]) -> None:
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    print(f"database {DB_NAME} created and migrated in {time.perf_counter() - t0:.1f}s")


def start_daphne(env: dict[str, str], tmp: Path) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = tmp / "daphne.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
            "regiozorg.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process, port, log


def start_gunicorn(env: dict[str, str], tmp: Path, workers: int, threads: int):
    """Pages and form posts through a WSGI server, websockets through Daphne."""
    port = free_port()
    log = tmp / "gunicorn.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}"),
            *("-w", str(workers), "--threads", str(threads), "regiozorg.wsgi:application"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process, port


def seed_users(count: int):
    """Users of ten district-nursing organisations (provider role: may message, no patient data,
    so no second factor; demo accounts besides). Returns memberships in user order."""
    from django.contrib.auth.hashers import make_password

    from accounts.levels import Role
    from accounts.models import Membership, Organisation, OrganisationKind, User

    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Wijkverpleging Bench {i}", kind=OrganisationKind.DISTRICT_NURSING)
        for i in range(10)
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"live{i}@bench.nl",
            first_name="Bench",
            last_name=f"Gebruiker {i}",
            password=password,
            is_demo_account=True,
        )
        for i in range(count)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisations[i % 10], role=Role.PROVIDER)
        for i, user in enumerate(users)
    )
    return list(
        Membership.objects.select_related("user", "organisation").order_by("user_id")[:count]
    )


def seed_conversations(memberships, conversations: int) -> list[list[int]]:
    """``conversations`` conversations without patient through ``conversation_start``; the users
    are dealt out over them in turn. Returns the user ids per conversation, starter first."""
    from conversations.services.messages import conversation_start
    from network.access import Actor

    groups: list[list] = [[] for _ in range(conversations)]
    for i, membership in enumerate(memberships):
        groups[i % conversations].append(membership)
    ids = []
    for n, group in enumerate(groups):
        conversation = conversation_start(
            actor=Actor(user=group[0].user, membership=group[0]),
            kind="conversation",
            subject=f"Overleg bench {n}",
            body="Eerste bericht van de bench.",
            client_key=uuid.uuid4(),
            people=group[1:],
        )
        ids.append([conversation.pk, *[m.user_id for m in group]])
    return ids


def session_cookies(users) -> dict[int, str]:
    from django.conf import settings
    from django.test import Client

    cookies = {}
    for user in users:
        client = Client()
        client.force_login(user)
        cookies[user.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return cookies


def seed_main(args) -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    t0 = time.perf_counter()
    memberships = seed_users(args.clients)
    conversations = (
        seed_conversations(memberships, args.conversations) if args.conversations else []
    )
    cookies = session_cookies([m.user for m in memberships])
    Path(args.seed_file).write_text(
        json.dumps({"conversations": conversations, "cookies": cookies})
    )
    print(
        f"seeded {len(memberships)} users, {len(conversations)} conversations (services), "
        f"{len(cookies)} sessions in {time.perf_counter() - t0:.1f}s",
        flush=True,
    )


# --- websocket clients (autobahn: in the lock file through Daphne) ----------------------------


class ClientState:
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
        self.badge = None  # callable, when --badge


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
                if state.read_frames and data["conversation"] == state.conversation:
                    self.send_json(
                        {"type": "read", "conversation": state.conversation, "message": data["id"]}
                    )
            elif kind == "messages":
                if state.subscribed and not state.subscribed.done():
                    state.subscribed.set_result(True)
            elif kind == "inbox" and state.badge is not None:
                # As live.js: no refetch for the conversation on screen (it is read at once).
                if data.get("conversation") != state.conversation:
                    state.badge(state)
            elif kind == "error":
                state.errors.append(data)

        def onClose(self, wasClean, code, reason):
            state: ClientState = self.factory.state
            state.closed = (code, reason)
            if state.opened and not state.opened.done():
                state.opened.set_exception(ConnectionError(f"closed {code} {reason}"))

        def send_json(self, frame: dict) -> None:
            self.sendMessage(json.dumps(frame).encode())

    return LiveProtocol


async def connect_all(states: list[ClientState], port: int, concurrency: int = 20) -> float:
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
    await asyncio.gather(*(one(s) for s in states))
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


class Sampler:
    """Peak RSS of a process, sampled every half second."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = rss_mb(pid)
        self.task = asyncio.create_task(self.run())

    async def run(self):
        while True:
            self.peak = max(self.peak, rss_mb(self.pid))
            await asyncio.sleep(0.5)

    def stop(self):
        self.task.cancel()


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


# --- the sender (a process of its own, so it does not share a GIL with the clients) ------------


def sender_main(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from accounts.models import Membership
    from conversations import realtime
    from conversations.models import Conversation
    from conversations.services.messages import message_send
    from conversations.tasks_notify import notify_new_message_task
    from network.access import Actor

    published: dict[int, float] = {}
    notify_ms: list[float] = []
    send_ms: list[float] = []
    # Each publish (one async_to_sync for all the group_sends of one event) is timed; the
    # moment the message frame has gone to Redis is "published".
    name = "_publish" if hasattr(realtime, "_publish") else "_send"
    original = getattr(realtime, name)

    def timed(*a):
        t0 = time.monotonic()
        original(*a)
        now = time.monotonic()
        send_ms.append((now - t0) * 1000)
        events = a[0] if name == "_publish" else [a]
        for _group, event in events:
            if event.get("type") == "message.created":
                published[event["id"]] = now

    setattr(realtime, name, timed)
    original_delay = notify_new_message_task.delay

    def timed_delay(*a, **kw):
        t0 = time.monotonic()
        try:
            return original_delay(*a, **kw)
        finally:
            notify_ms.append((time.monotonic() - t0) * 1000)

    notify_new_message_task.delay = timed_delay

    rng = random.Random(5 + args.sender_index)
    conversations = list(Conversation.objects.order_by("pk"))
    members = {}
    for conversation in conversations:
        user_ids = list(conversation.participants.values_list("user_id", flat=True))
        members[conversation.pk] = [
            Actor(user=m.user, membership=m)
            for m in Membership.objects.filter(user_id__in=user_ids).select_related(
                "user", "organisation"
            )
        ]
    print("READY", flush=True)
    start = float(sys.stdin.readline())
    warmup = int(args.rate * 2)  # two seconds' worth first, not counted (cold caches)
    total = warmup + int(args.rate * args.seconds)
    late = 0
    cpu_mark, measured_from = cpu_seconds(os.getpid()), start
    for i in range(total):
        if i % args.senders != args.sender_index:
            continue
        if i >= warmup and measured_from == start:
            notify_ms.clear()
            send_ms.clear()
            late = 0
            cpu_mark, measured_from = cpu_seconds(os.getpid()), time.monotonic()
        due = start + i / args.rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        else:
            late += wait < -0.005
        conversation = conversations[i % len(conversations)]
        actor = rng.choice(members[conversation.pk])
        committed = {}
        t_start = time.monotonic()
        with transaction.atomic():
            transaction.on_commit(lambda c=committed: c.setdefault("t", time.monotonic()))
            message, _created = message_send(
                actor=actor,
                conversation=conversation,
                body=f"Bench-bericht {i}: hoe gaat het met de wondzorg vandaag?",
                client_key=uuid.uuid4(),
            )
        t_end = time.monotonic()
        print(
            json.dumps(
                {
                    "id": message.pk,
                    "conversation": conversation.pk,
                    "author": actor.user.pk,
                    "start": t_start,
                    "commit": committed["t"],
                    "published": published.pop(message.pk, None),
                    "end": t_end,
                    "warmup": i < warmup,
                }
            ),
            flush=True,
        )
    print(
        "DONE "
        + json.dumps(
            {
                "late": late,
                "notify_ms": notify_ms,
                "send_ms": send_ms,
                "cpu_pct": (cpu_seconds(os.getpid()) - cpu_mark)
                / (time.monotonic() - measured_from)
                * 100,
            }
        ),
        flush=True,
    )


# --- the runs -------------------------------------------------------------------------------


async def service_senders(args, env, go_at: float) -> tuple[list[dict], list[dict]]:
    """``--senders`` processes calling ``message_send``; returns (sends, per-process summaries)."""
    processes = []
    for index in range(args.senders):
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--role",
                "sender",
                "--rate",
                str(args.rate),
                "--seconds",
                str(args.seconds),
                "--senders",
                str(args.senders),
                "--sender-index",
                str(index),
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=(Path(env["DATA_DIR"]) / f"sender{index}.log").open("w"),
                limit=1 << 24,
            )
        )
    for process in processes:
        line = await process.stdout.readline()
        assert line.strip() == b"READY", line
    for process in processes:
        process.stdin.write(f"{go_at}\n".encode())
        await process.stdin.drain()

    async def collect(process):
        items, summary = [], {}
        while line := await process.stdout.readline():
            if line.startswith(b"DONE "):
                summary = json.loads(line[5:])
            else:
                items.append(json.loads(line))
        await process.wait()
        return items, summary

    results = await asyncio.gather(*(collect(p) for p in processes))
    return [i for items, _ in results for i in items], [summary for _, summary in results]


async def http_sender(args, port, conversations, cookies, go_at: float) -> list[dict]:
    """POST to the message view through Daphne (htmx form, as the page sends), at --rate."""
    csrf = "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
    rng = random.Random(5)
    warmup = int(args.rate * 2)
    sent: list[dict] = []

    async def post(i: int, conversation: int, author: int):
        body = (
            f"body=Bench-bericht+{i}%3A+hoe+gaat+het+met+de+wondzorg+vandaag%3F"
            f"&client_key={uuid.uuid4()}"
        )
        t_start = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"POST /gesprekken/{conversation}/berichten/ HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
                f"Cookie: {cookies[author]}; regiozorg_csrftoken={csrf}\r\n"
                f"X-CSRFToken: {csrf}\r\nHX-Request: true\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}"
            ).encode()
        )
        await writer.drain()
        data = await reader.read()
        writer.close()
        t_end = time.monotonic()
        found = MESSAGE_ID.search(data)
        sent.append(
            {
                "id": int(found.group(1)) if found else None,
                "status": int(data.split(b" ", 2)[1]) if data else 0,
                "conversation": conversation,
                "author": author,
                "start": t_start,
                "commit": None,
                "published": None,
                "end": t_end,
                "warmup": i < warmup,
            }
        )

    tasks = []
    total = warmup + int(args.rate * args.seconds)
    for i in range(total):
        await asyncio.sleep(max(0.0, go_at + i / args.rate - time.monotonic()))
        conversation_id, *user_ids = conversations[i % len(conversations)]
        tasks.append(asyncio.create_task(post(i, conversation_id, rng.choice(user_ids))))
    await asyncio.gather(*tasks)
    return sent


async def live_run(
    args, env, port, daphne, redis, conversations, cookies, http_port=None, gunicorn=None
) -> None:
    http_port = http_port or port
    states = []
    for conversation_id, *user_ids in conversations:
        for user_id in user_ids:
            state = ClientState(user_id, cookies[user_id], conversation_id)
            state.read_frames = not args.no_read
            states.append(state)
    badge_ms: list[float] = []
    badge_status: dict[int, int] = {}
    if args.badge:
        trigger = make_badge_fetcher(http_port, badge_ms, badge_status)
        for state in states:
            state.badge = trigger
    sampler = Sampler(daphne.pid)
    connect_s = await connect_all(states, port)
    print(f"{len(states)} websockets open and subscribed in {connect_s:.1f}s; load {load()}")
    await asyncio.sleep(2)  # let the connect work settle

    warmup_s = int(args.rate * 2) / args.rate
    go_at = time.monotonic() + (6 if args.send == "service" else 0.5)  # senders start Django
    measured_from = go_at + warmup_s
    pings = asyncio.create_task(pinger(states, go_at + warmup_s + args.seconds + 10))

    async def snapshot_at_start():
        await asyncio.sleep(max(0.0, measured_from - time.monotonic()))
        badge_ms.clear()
        return (
            load(),
            {
                n: tree_cpu_seconds(p.pid)
                for n, p in (("daphne", daphne), ("redis", redis), ("gunicorn", gunicorn))
                if p
            },
        )

    start_snapshot = asyncio.create_task(snapshot_at_start())
    summaries: list[dict] = []
    if args.send == "service":
        sent, summaries = await service_senders(args, env, go_at)
    else:
        sent = await http_sender(args, http_port, conversations, cookies, go_at)
    sending_ended = max(i["end"] for i in sent)
    load_before, cpu0 = await start_snapshot
    cpu1 = {
        n: tree_cpu_seconds(p.pid)
        for n, p in (("daphne", daphne), ("redis", redis), ("gunicorn", gunicorn))
        if p
    }
    elapsed = time.monotonic() - measured_from
    # Late is not lost: wait until no message frame has arrived for 5 s (at most 120 s).
    waiting_from = changed_at = time.monotonic()
    last_count = -1
    while time.monotonic() - waiting_from < 120:
        count = sum(len(s.received) for s in states)
        if count != last_count:
            last_count, changed_at = count, time.monotonic()
        elif time.monotonic() - changed_at >= 5:
            break
        await asyncio.sleep(0.5)
    drain_s = time.monotonic() - sending_ended
    pings.cancel()
    sampler.stop()
    load_after = load()
    sent = [i for i in sent if not i["warmup"]]

    deliveries, from_start, to_publish, after_publish, missing, echoes = [], [], [], [], 0, []
    by_conversation: dict[int, list[ClientState]] = {}
    for state in states:
        by_conversation.setdefault(state.conversation, []).append(state)
    for item in sent:
        if item["published"]:
            to_publish.append((item["published"] - item["commit"]) * 1000)
        for state in by_conversation[item["conversation"]]:
            t = state.received.get(item["id"])
            if state.user_id == item["author"]:
                if t is not None:
                    echoes.append((t - (item["commit"] or item["start"])) * 1000)
                continue
            if t is None:
                missing += 1
                continue
            if item["commit"]:
                deliveries.append((t - item["commit"]) * 1000)
            from_start.append((t - item["start"]) * 1000)
            if item["published"]:
                after_publish.append((t - item["published"]) * 1000)
    send_ms = [(i["end"] - i["start"]) * 1000 for i in sent]
    frames: dict[str, int] = {}
    for state in states:
        for kind, n in state.frames.items():
            frames[kind] = frames.get(kind, 0) + n
    span = sending_ended - measured_from
    via = (
        f"http ({args.http})" if args.send == "http" else f"the service ({args.senders} processes)"
    )
    print(
        f"\n=== live delivery, CHANNEL_LAYER={args.layer}"
        f"{' (socket_timeout=None)' if args.no_socket_timeout else ''}"
        f"{f' DB_CONN_MAX_AGE={args.conn_max_age}' if args.conn_max_age else ''}, sent through "
        f"{via}"
        f", celery {args.celery}: "
        f"{len(states)} clients, {len(conversations)} conversations, {len(sent)} messages in "
        f"{span:.1f}s ({len(sent) / span:.1f}/s), read frames {'off' if args.no_read else 'on'}"
        f"{', badge GETs on' if args.badge else ''}"
    )
    print(f"load before {load_before}, after {load_after}")
    if args.send == "service":
        print(f"commit → delivered (recipients)  {describe(deliveries)}")
        print(f"  commit → published (sender)    {describe(to_publish)}")
        print(f"  published → delivered          {describe(after_publish)}")
    print(f"send start → delivered           {describe(from_start)}")
    print(f"author's own echo                {describe(echoes)}")
    print(
        f"missing deliveries {missing} of {len(sent) * 3} (waited {drain_s:.0f}s after the last "
        f"send), duplicate frames "
        f"{sum(s.duplicates for s in states)}, errors {sum(len(s.errors) for s in states)}, "
        f"closed sockets {sum(1 for s in states if s.closed)}"
    )
    print(f"frames received by all clients: {frames}")
    if args.send == "service":
        commit_ms = [(i["commit"] - i["start"]) * 1000 for i in sent]
        print(f"message_send in the senders: start → commit {describe(commit_ms)}")
        print(f"  whole call incl. on_commit pushes and eager notify {describe(send_ms)}")
        notify = [x for s in summaries for x in s.get("notify_ms", [])]
        one_send = [x for s in summaries for x in s.get("send_ms", [])]
        print(
            f"  eager notification task {describe(notify)}; sends started >5 ms late: "
            f"{sum(s.get('late', 0) for s in summaries)}"
        )
        print(
            "  one realtime publish (one async_to_sync for an event's group_sends, from sync "
            f"code) {describe(one_send)}"
        )
        print(
            f"sender processes CPU: {sum(s.get('cpu_pct', 0) for s in summaries):.1f} % of one core"
        )
    else:
        statuses: dict[int, int] = {}
        for item in sent:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        print(f"POST (request → response) {describe(send_ms)}; status {statuses}")
    for name in cpu0:
        pct = (cpu1[name] - cpu0[name]) / elapsed * 100
        print(f"{name} CPU during sending: {pct:.1f} % of one core")
    print(f"daphne RSS: peak {sampler.peak:.0f} MB, end {rss_mb(daphne.pid):.0f} MB")
    if args.badge:
        print(
            f"badge GET (HTTP through the same Daphne) {describe(badge_ms)}; status {badge_status}"
        )


async def idle_run(args, port, daphne) -> None:
    states = [ClientState(user_id, cookie) for user_id, cookie in args.cookies.items()]
    base = rss_mb(daphne.pid)
    cpu_start = cpu_seconds(daphne.pid)
    sampler = Sampler(daphne.pid)
    connect_s = await connect_all(states, port)
    cpu_connected = cpu_seconds(daphne.pid)
    print(
        f"{len(states)} websockets open in {connect_s:.1f}s "
        f"(Daphne CPU while connecting {(cpu_connected - cpu_start) / connect_s * 100:.0f} % "
        f"of one core); RSS {base:.0f} → {rss_mb(daphne.pid):.0f} MB; load {load()}"
    )
    t0 = time.monotonic()
    pings = asyncio.create_task(pinger(states, t0 + args.hold + 1))
    half = args.hold - 30
    await asyncio.sleep(half)
    cpu_half, t_half, load_half = cpu_seconds(daphne.pid), time.monotonic(), load()
    await asyncio.sleep(args.hold - half)
    cpu_end, t_end = cpu_seconds(daphne.pid), time.monotonic()
    pings.cancel()
    sampler.stop()
    frames: dict[str, int] = {}
    for state in states:
        for kind, n in state.frames.items():
            frames[kind] = frames.get(kind, 0) + n
    print(
        f"\n=== idle websockets, CHANNEL_LAYER={args.layer}: {len(states)} held {args.hold}s "
        f"(ping frame every {PING_SECONDS}s each; Daphne's own protocol ping every 20 s)"
    )
    print(f"load at {half}s {load_half}, at end {load()}")
    print(
        f"daphne CPU, last 30 s: {(cpu_end - cpu_half) / (t_end - t_half) * 100:.1f} % of one "
        f"core; whole hold: {(cpu_end - cpu_connected) / (t_end - t0) * 100:.1f} %"
    )
    print(
        f"daphne RSS: before connecting {base:.0f} MB, end {rss_mb(daphne.pid):.0f} MB, "
        f"peak {sampler.peak:.0f} MB ({(rss_mb(daphne.pid) - base) * 1024 / len(states):.0f} "
        f"kB per socket)"
    )
    print(f"frames received: {frames}; closed sockets {sum(1 for s in states if s.closed)}")


async def hop_run(args) -> None:
    """One hop through each layer: group_send → receive, Daphne and Django left out.

    50 groups of 4 channels in one process (as 200 sockets in 50 conversations on one Daphne),
    ``--hop`` group_sends at ``--rate``; then the cost of one ``async_to_sync(group_send)`` from
    plain sync code (a Celery worker, a management command, the bench's sender), as
    ``conversations.realtime._send`` does it.
    """
    import threading

    from asgiref.sync import async_to_sync
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    for name, cls in (("core", RedisChannelLayer), ("pubsub", RedisPubSubChannelLayer)):
        layer = cls(hosts=[args.redis_url], prefix=f"hop{name}")
        received: list[float] = []
        channels = {}
        for g in range(50):
            for _ in range(4):
                channel = await layer.new_channel()
                await layer.group_add(f"g{g}", channel)
                channels[channel] = g

        async def listen(channel, layer=layer, received=received):
            while True:
                message = await layer.receive(channel)
                received.append((time.monotonic() - message["t"]) * 1000)

        tasks = [asyncio.create_task(listen(c)) for c in channels]
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        for i in range(args.hop):
            await asyncio.sleep(max(0.0, t0 + i / args.rate - time.monotonic()))
            await layer.group_send(f"g{i % 50}", {"type": "x", "t": time.monotonic()})
        await asyncio.sleep(1)
        for task in tasks:
            task.cancel()
        costs: list[float] = []

        def from_sync(layer=layer, costs=costs):
            for i in range(200):
                t = time.monotonic()
                async_to_sync(layer.group_send)(f"g{i % 50}", {"type": "x", "t": t})
                costs.append((time.monotonic() - t) * 1000)

        thread = threading.Thread(target=from_sync)
        thread.start()
        await asyncio.to_thread(thread.join)
        print(
            f"{name:6s} one hop group_send → receive ({len(received)} of {args.hop * 4}): "
            f"{describe(received)}"
        )
        print(f"{name:6s} async_to_sync(group_send) from sync code: {describe(costs)}")
        with contextlib.suppress(Exception):
            await layer.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--layer", choices=["core", "pubsub"], default="pubsub")
    parser.add_argument("--idle", type=int, default=0, help="hold this many idle websockets")
    parser.add_argument("--hold", type=int, default=60)
    parser.add_argument("--hop", type=int, default=0, help="one-hop layer test, this many sends")
    parser.add_argument("--no-read", action="store_true", help="clients send no read frames")
    parser.add_argument("--badge", action="store_true", help="GET the unread badge per inbox frame")
    parser.add_argument("--send", choices=["service", "http"], default="service")
    parser.add_argument(
        "--http",
        choices=["daphne", "gunicorn"],
        default="daphne",
        help="who serves the POSTs and badge GETs (websockets always go to Daphne)",
    )
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--http-threads", type=int, default=4)
    parser.add_argument("--celery", choices=["queue", "eager"], default="queue")
    parser.add_argument("--senders", type=int, default=4, help="sender processes (service)")
    parser.add_argument(
        "--no-socket-timeout",
        action="store_true",
        help="run Daphne with socket_timeout=None on the channel layer's Redis connections",
    )
    parser.add_argument(
        "--conn-max-age", default="", help="DB_CONN_MAX_AGE for Daphne (default: the setting's 0)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--redis-url", default="", help="default: a redis-server of our own")
    parser.add_argument("--role", default="", help=argparse.SUPPRESS)
    parser.add_argument("--seed-file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--sender-index", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "sender":
        sender_main(args)
        return
    if args.role == "seed":
        seed_main(args)
        return

    random.seed(1)
    machine()
    raise_file_limit(max(4096, 3 * args.idle + 1024))
    tmp = Path(tempfile.mkdtemp(prefix="regiozorg-benchlive-"))
    redis = daphne = gunicorn = None
    http_port = None
    try:
        if not args.redis_url:
            redis, args.redis_url = start_redis(tmp)
        if args.hop:
            print(f"load {load()}")
            asyncio.run(hop_run(args))
            print(f"load {load()}")
            return
        env = environment(args, tmp)
        print(f"redis {args.redis_url}, CHANNEL_LAYER={args.layer}")
        create_database(env)
        # Seeding runs in a process of its own: Django imports Daphne, which claims txaio for
        # Twisted, and the clients here use autobahn on asyncio.
        seed_file = tmp / "seed.json"
        subprocess.run(
            [
                *(sys.executable, __file__, "--role", "seed", "--seed-file", str(seed_file)),
                *("--clients", str(args.idle or args.clients)),
                *("--conversations", str(0 if args.idle else args.conversations)),
            ],
            cwd=ROOT,
            env={**env, "LOG_LEVEL": "WARNING"},
            check=True,
        )
        seeded = json.loads(seed_file.read_text())
        conversations = seeded["conversations"]
        cookies = {int(k): v for k, v in seeded["cookies"].items()}
        daphne, port, log = start_daphne(env, tmp)
        print(f"daphne pid {daphne.pid} on port {port}, RSS {rss_mb(daphne.pid):.0f} MB")
        if args.send == "http" and args.http == "gunicorn":
            gunicorn, http_port = start_gunicorn(env, tmp, args.http_workers, args.http_threads)
            print(
                f"gunicorn pid {gunicorn.pid} on port {http_port} ({args.http_workers} workers × "
                f"{args.http_threads} threads) serves the pages; Daphne the websockets"
            )
        if args.idle:
            args.cookies = cookies
            asyncio.run(idle_run(args, port, daphne))
        else:
            asyncio.run(
                live_run(
                    args, env, port, daphne, redis, conversations, cookies, http_port, gunicorn
                )
            )
        over = sum(
            line.count("over capacity")
            for f in tmp.glob("*.log")
            for line in f.read_text(errors="replace").splitlines()
        )
        print(f"'channels over capacity' log lines (core layer drops those pushes): {over}")
        lines = log.read_text().splitlines()
        crashes = [line for line in lines if "Exception inside application" in line]
        problems = [line for line in lines if " ERROR " in line or " WARNING " in line]
        print(
            f"daphne log: {len(problems)} error/warning lines, {len(crashes)} consumer crashes"
            + (f"; first: {problems[0][:200]}" if problems else "")
        )
    finally:
        stop(gunicorn)
        stop(daphne)
        stop(redis)
        if not args.hop:
            psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"(cleaned up{'' if args.hop else f'; database {DB_NAME} dropped'}; load {load()})")


if __name__ == "__main__":
    main()
