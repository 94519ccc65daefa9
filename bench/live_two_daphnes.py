"""Two Daphne processes sharing one Redis: the one-hop latency of a message across processes.

    uv run python bench/live_two_daphnes.py [--messages 200] [--rate 20] [--layer core|pubsub]

Everything runs on this machine: its own ``redis-server`` (a free port, nothing persisted; the
shared Redis on 6379 is never touched), its own PostgreSQL database ``regiozorg_twodaphnes``
(created, migrated, dropped), and two Daphne processes, A and B. The district nurse's page holds
a websocket on A, the GP's page one on B; both are subscribed to their conversation.

(1) The hop. This script sends like a third web process: ``message_send`` on one long-lived
event loop (so the channel layer keeps its Redis connections, as in Daphne), with an
``on_commit`` callback registered before the send's own, which notes the moment of commit, and
``realtime._publish`` wrapped to note when the message's publish starts.
Latency = that moment → the ``message`` frame is in the socket on A, and on B (CLOCK_MONOTONIC
is one clock for all processes on Linux). "commit →" includes what the sender does after commit
before that publish (the fragment is rendered before commit).

(2) Through HTTP. The GP's browser posts the composer (htmx) to B; latency = the POST starts →
the frame is in the nurse's socket on A, beside the POST's own round trip.

Prints figures; asserts nothing. Settings are those of ``REDIS_URL`` (Celery not eager: tasks
wait in Redis, no worker runs) with demo accounts (``DEMO_ACCOUNTS_REQUIRE_MFA=false``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from live.browser import Browser, LiveSocket, session_cookies
from live_redis_down import PG, ROOT, seed, start_daphne, start_redis
from procs import describe, free_port, load, psql, stop

DB_NAME = "regiozorg_twodaphnes"


def latencies(sent: dict[int, float], arrived: dict[int, float]) -> list[float]:
    return [(arrived[i] - at) * 1000 for i, at in sent.items() if i in arrived]


def arrivals(live: LiveSocket, wanted: set[int], seconds: float = 10) -> dict[int, float]:
    """Arrival times of the ``message`` frames with these ids (duplicates would be counted)."""
    found: dict[int, float] = {}
    deadline = time.monotonic() + seconds
    while wanted - found.keys() and (left := deadline - time.monotonic()) > 0:
        frame = live.receive(left)
        if frame is None or frame["type"] == "closed":
            break
        if frame["type"] == "message" and frame["id"] in wanted:
            if frame["id"] in found:
                print(f"  duplicate frame for message {frame['id']}")
            found.setdefault(frame["id"], live.arrived)
    return found


async def hop(actor, conversation, count: int, rate: float) -> tuple[dict, dict]:
    """Send ``count`` messages at ``rate``/s from this process.

    Returns two maps id → moment: the commit, and the start of the conversation group's
    publish.
    """
    from asgiref.sync import sync_to_async
    from django.db import transaction

    from conversations import realtime
    from conversations.services.messages import message_send

    published: dict[int, float] = {}
    publish = realtime._publish

    def timed_publish(pairs):
        for _group, event in pairs:
            if event.get("type") == "message.created":
                published[event["id"]] = time.monotonic()
        publish(pairs)

    def send_one(n: int) -> tuple[int, float]:
        committed: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda: committed.append(time.monotonic()))
            message, _created = message_send(
                actor=actor, conversation=conversation, body=f"Meting {n}", client_key=uuid.uuid4()
            )
        return message.pk, committed[0]

    realtime._publish = timed_publish
    commits = {}
    start = time.monotonic()
    try:
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            message_id, at = await sync_to_async(send_one)(n)
            commits[message_id] = at
    finally:
        realtime._publish = publish
    return commits, published


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="messages per second")
    parser.add_argument("--http", type=int, default=50, help="messages posted to B over HTTP")
    parser.add_argument("--layer", choices=["core", "pubsub"], default="core")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="regiozorg-twodaphnes-"))
    redis_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "regiozorg.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CHANNEL_LAYER": args.layer,
        "DEMO_ACCOUNTS_REQUIRE_MFA": "false",
        "DATA_DIR": str(tmp),
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    redis = daphne_a = daphne_b = None
    sockets: list[LiveSocket] = []
    try:
        redis = start_redis(redis_port, tmp)
        psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        psql(f"CREATE DATABASE {DB_NAME}")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        import django

        django.setup()
        from django.conf import settings

        gp_actor, nurse, conversation = seed()
        daphne_a, port_a, _log_a = start_daphne(env, tmp, "daphne-a")
        daphne_b, port_b, _log_b = start_daphne(env, tmp, "daphne-b")
        print(
            f"machine: {os.cpu_count()} CPUs, load {load()}; own redis-server on {redis_port}; "
            "Daphne A on "
            f"{port_a}, B on {port_b}; layer {settings.CHANNEL_LAYERS['default']['BACKEND']}"
        )

        from conversations.models import Message

        first = Message.objects.filter(conversation=conversation).latest("pk").pk
        nurse_on_a = LiveSocket(port_a, Browser(port_a, session_cookies(nurse)).cookie_header())
        gp_browser = Browser(port_b, session_cookies(gp_actor.user))
        gp_on_b = LiveSocket(port_b, gp_browser.cookie_header())
        sockets += [nurse_on_a, gp_on_b]
        for live in sockets:
            assert live.subscribe(conversation.pk, after=first) == []

        # Warm up both processes (first request, first publish) before measuring.
        asyncio.run(hop(gp_actor, conversation, 5, args.rate))
        for live in sockets:
            while live.receive(0.5) is not None:
                pass

        print(
            f"\n(1) commit in a third process → frame on A and on B, {args.messages} messages "
            f"at {args.rate:g}/s"
        )
        commits, published = asyncio.run(hop(gp_actor, conversation, args.messages, args.rate))
        on_a = arrivals(nurse_on_a, set(commits))
        on_b = arrivals(gp_on_b, set(commits))
        print(f"  commit → on A (nurse):      {describe(latencies(commits, on_a))}")
        print(f"  commit → on B (GP):         {describe(latencies(commits, on_b))}")
        print(f"  group_send → on A (nurse):  {describe(latencies(published, on_a))}")
        print(f"  group_send → on B (GP):     {describe(latencies(published, on_b))}")
        print(
            f"  missing: A {len(set(commits) - on_a.keys())}, B {len(set(commits) - on_b.keys())}"
        )

        print(f"\n(2) HTTP POST (htmx) to B → frame on A, {args.http} messages, one at a time")
        gp_browser.request("GET", f"/gesprekken/{conversation.pk}/")  # the CSRF cookie
        started, posts = {}, []
        for n in range(args.http):
            t0 = time.monotonic()
            status, _loc, body, ms = gp_browser.post_message(
                conversation.pk, f"Via B {n}", htmx=True
            )
            match = re.search(r'id="message-(\d+)"', body)
            if status != 200 or not match:
                print(f"  POST {n}: {status}")
                continue
            started[int(match.group(1))] = t0
            posts.append(ms)
            time.sleep(max(0.0, 1 / args.rate - ms / 1000))
        on_a = arrivals(nurse_on_a, set(started))
        print(f"  POST round trip:       {describe(posts)}")
        print(f"  POST start → A frame:  {describe(latencies(started, on_a))}")
        print(f"  missing on A: {len(set(started) - on_a.keys())}; load now {load()}")
    finally:
        for live in sockets:
            with contextlib.suppress(Exception):
                live.close()
        stop(daphne_a)
        stop(daphne_b)
        stop(redis)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(Exception):
            psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        print(f"\n(own redis-server and both Daphnes stopped; database {DB_NAME} dropped)")


if __name__ == "__main__":
    main()
