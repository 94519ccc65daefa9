"""Live delivery through Daphne and Redis: send → delivered latency, and idle websockets.

    uv run python bench/bench_live.py --clients 200 --conversations 50 --rate 20 --seconds 30 \
        --layer core|pubsub [--send service|http|socket]
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
``--send http`` POSTs the composer's form instead (as the page did); ``--send socket`` sends a
``send`` frame over the author's own subscribed websocket (as the composer does now), its client
key the one the last ``sent`` frame handed out. Both measure send start → delivered, and send
start → the answer (the POST's response, the ``sent`` frame).

Idle run: ``--idle N`` users each hold one websocket (ping every 30 s, no subscription) for
``--hold`` seconds; Daphne's CPU is averaged over the last 30 s, memory is its RSS.

Process figures come from /proc (psutil is not installed). Prints figures; asserts nothing.
The parts live in ``bench/live/``: machine, servers, seed, clients, senders and runs.
"""

# ruff: noqa: S603  (a bench: it starts redis-server, psql, Daphne and itself)
from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from live.machine import machine, raise_file_limit, rss_mb
from live.runs import hop_run, idle_run, live_run
from live.seed import seed_main
from live.senders import sender_main
from live.servers import (
    DB_NAME,
    ROOT,
    create_database,
    environment,
    start_daphne,
    start_gunicorn,
    start_redis,
)
from procs import load, psql, stop


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
    parser.add_argument("--send", choices=["service", "http", "socket"], default="service")
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
    parser.add_argument("--seed-offset", type=int, default=0, help=argparse.SUPPRESS)
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
