"""Issue 13's goals, before and after, in one run on one machine, in the production layout.

    .venv/bin/python bench/bench_live_goals.py [--before cbc5286] [--messages 1000]
        [--rates 25,50,100,150,200,250] [--idle 2000] [--stretch 10000]

Each tree (``--before``: a commit checked out into a temporary worktree; ``--after``: this
checkout) gets the same stack in turn (``bench/live/stack.py``): gunicorn (2 workers × 4
threads) for pages and form posts, Daphne for websockets, a Celery worker, this machine's
PostgreSQL (a database of its own) and a redis-server of our own, ``DEBUG=false``. Only one
stack runs at a time. The clients are this process: websockets as ``static/js/live.js`` holds
them (subscribe, a ``read`` frame per message, a ``ping`` every 30 s), sends as the composer
makes them: the ``send`` frame over the author's own socket (``socket``), or the htmx form POST
to gunicorn (``http``; the only way before the change).

1. **Sequential 1:1**: one conversation of two; ``--messages`` messages, each sent when the
   last one reached the other socket. Send start → delivered at the other socket; CPU per
   message of every server process, PostgreSQL included (all its backends); commits and new
   PostgreSQL connections per message (``pg_stat_database``). Then, with the stack restarted
   with ``log_statement = 'all'`` on its database, ``--count`` more messages: SQL statements per
   message (everything the servers ran meanwhile: the send, the push, the read marks, pings).
2. **200 clients in 50 conversations of four**: at each of ``--rates`` (msg/s, ``--rate-seconds``
   each after a 2-s warm-up): send start → delivered p50/p99 over every recipient, messages lost
   and doubled, CPU per message, the most PostgreSQL connections at once and any
   idle-in-transaction seen (sampled every second).
3. **Idle sockets**: ``--idle`` users each hold one websocket (a ping every 30 s) for ``--hold``
   seconds; Daphne's CPU over the last 30 s and its RSS per socket. ``--stretch N`` does the same
   with N sockets for the tree after the change.

Prints every figure and the before/after table; asserts nothing. ``bench/RESULTS.md`` keeps them.
"""

# ruff: noqa: S603, S607  (a bench: it starts servers, git and psql)
from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from live.clients import PING_SECONDS, ClientState, connect_all, pinger
from live.goals_report import report
from live.machine import cpu_seconds, machine, raise_file_limit, rss_mb
from live.senders import composer_post, http_sender, socket_sender
from live.servers import ROOT, start_redis
from live.stack import Stack, StatementCount
from procs import describe, load, percentile, stop


async def connect_spread(states: list[ClientState], stack: Stack) -> float:
    """Each client to one of the stack's Daphnes in turn (as a proxy in front of them would)."""
    ports = stack.live_ports
    groups = [states[n :: len(ports)] for n in range(len(ports))]
    t0 = time.perf_counter()
    await asyncio.gather(*(connect_all(g, port) for g, port in zip(groups, ports, strict=True)))
    return time.perf_counter() - t0


async def sequential(
    stack: Stack, seeded: dict, mode: str, count: int, warmup: int, mark=None
) -> dict:
    conversation_id, sender_id, receiver_id = seeded["conversations"][0]
    cookies = seeded["cookies"]
    sender = ClientState(sender_id, cookies[sender_id], conversation_id)
    receiver = ClientState(receiver_id, cookies[receiver_id], conversation_id)
    await connect_spread([sender, receiver], stack)
    loop = asyncio.get_running_loop()
    pings = asyncio.create_task(pinger([sender, receiver], time.monotonic() + 3600))
    delivered, answered, statuses = [], [], {}
    cpu0 = counters0 = None
    t_measured = 0.0
    for i in range(warmup + count):
        if i == warmup:
            await asyncio.sleep(1.1)  # the warm-up's read marks are stored (one per second)
            cpu0, counters0, t_measured = stack.cpu(), stack.counters(), time.monotonic()
            if mark is not None:
                mark()
        body = f"Bericht {i}: hoe gaat het met de wondzorg vandaag?"
        receiver.waiter = loop.create_future()
        t0 = time.monotonic()
        if mode == "socket":
            key, sender.next_key = sender.next_key or str(uuid.uuid4()), None
            ack = sender.acks[key] = loop.create_future()
            sender.proto.send_json(
                {"type": "send", "conversation": conversation_id, "body": body, "client_key": key}
            )
            t_answer, answer = await asyncio.wait_for(ack, 10)
            status = answer.get("type")
        else:
            form = f"body={body.replace(' ', '+')}&client_key={uuid.uuid4()}"
            status, _data = await composer_post(
                stack.web_port, conversation_id, cookies[sender_id], form
            )
            t_answer = time.monotonic()
        try:
            t_delivered, _message = await asyncio.wait_for(receiver.waiter, 10)
        except TimeoutError:
            t_delivered = None
        if i >= warmup:
            statuses[status] = statuses.get(status, 0) + 1
            answered.append((t_answer - t0) * 1000)
            if t_delivered is not None:
                delivered.append((t_delivered - t0) * 1000)
    elapsed = time.monotonic() - t_measured
    await asyncio.sleep(1)  # read marks and stats of the last messages
    cpu1, counters1 = stack.cpu(), stack.counters()
    pings.cancel()
    for state in (sender, receiver):
        state.proto.sendClose()
    await asyncio.sleep(0.5)
    return {
        "delivered": delivered,
        "answered": answered,
        "statuses": statuses,
        "lost": count - len(delivered),
        "duplicates": receiver.duplicates,
        "cpu_ms": {n: (cpu1[n] - cpu0[n]) * 1000 / count for n in cpu1},
        "per_message": {n: (counters1[n] - counters0[n]) / count for n in counters1},
        "rate": count / elapsed,
    }


async def count_statements(stack: Stack, seeded: dict, mode: str, count: int) -> float:
    counter = StatementCount(stack.db)
    # From the first measured message on: the sockets' connect and subscribe are not counted.
    result = await sequential(stack, seeded, mode, count, 10, mark=counter.start)
    return counter.stop() / max(1, count - result["lost"])


class ConnectionSampler:
    """Most PostgreSQL connections on the bench's database at once, and idle-in-transaction."""

    def __init__(self, stack: Stack):
        self.stack, self.most, self.idle_in_transaction = stack, 0, 0
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            with contextlib.suppress(Exception):
                self.most = max(self.most, self.stack.connections())
                self.idle_in_transaction = max(
                    self.idle_in_transaction, self.stack.idle_in_transaction()
                )
            time.sleep(1)

    def stop(self) -> dict:
        self.running = False
        self.thread.join()
        return {"most": self.most, "idle_in_transaction": self.idle_in_transaction}


async def knee(stack: Stack, seeded: dict, mode: str, rates: list[float], seconds: float):
    states = [
        ClientState(user_id, seeded["cookies"][user_id], conversation_id)
        for conversation_id, *user_ids in seeded["conversations"]
        for user_id in user_ids
    ]
    await connect_spread(states, stack)
    by_conversation: dict[int, list[ClientState]] = {}
    for state in states:
        by_conversation.setdefault(state.conversation, []).append(state)
    pings = asyncio.create_task(pinger(states, time.monotonic() + 3600))
    sampler = ConnectionSampler(stack)
    await asyncio.sleep(2)
    rows = []
    for rate in rates:
        args = argparse.Namespace(rate=rate, seconds=seconds)
        duplicates0 = sum(s.duplicates for s in states)
        go_at = time.monotonic() + 0.5
        measured_from = go_at + int(rate * 2) / rate
        cpu0: dict = {}

        async def snapshot(at=measured_from, into=cpu0):
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            into.update(stack.cpu())

        snap = asyncio.create_task(snapshot())
        if mode == "socket":
            sent = await socket_sender(args, states, seeded["conversations"], go_at)
        else:
            sent = await http_sender(
                args, stack.web_port, seeded["conversations"], seeded["cookies"], go_at
            )
        await snap
        cpu1, elapsed = stack.cpu(), time.monotonic() - measured_from
        sent = [s for s in sent if not s["warmup"]]
        # Late is not lost: wait until nothing arrived for 3 s (at most 60 s).
        last, changed = -1, time.monotonic()
        while time.monotonic() - changed < 3 and time.monotonic() - go_at < seconds + 70:
            now_count = sum(len(s.received) for s in states)
            if now_count != last:
                last, changed = now_count, time.monotonic()
            await asyncio.sleep(0.25)
        delivered, lost = [], 0
        for item in sent:
            for state in by_conversation[item["conversation"]]:
                if state.user_id == item["author"]:
                    continue
                t = state.received.get(item["id"]) if item["id"] else None
                if t is None:
                    lost += 1
                else:
                    delivered.append((t - item["start"]) * 1000)
        rows.append(
            {
                "rate": rate,
                "achieved": len(sent) / elapsed,
                "delivered": delivered,
                "lost": lost,
                "duplicates": sum(s.duplicates for s in states) - duplicates0,
                "refused": sum(1 for s in sent if s["status"] not in (200, "sent")),
                "cpu_ms": {n: (cpu1[n] - cpu0[n]) * 1000 / max(1, len(sent)) for n in cpu1},
                "load": load(),
            }
        )
        p99 = percentile(delivered, 99)
        print(
            f"  {stack.name}/{mode} {rate:g} msg/s: {describe(delivered)}; lost {lost}, "
            f"doubled {rows[-1]['duplicates']}; load {load()}; CPU/message "
            + ", ".join(f"{n} {v:.1f} ms" for n, v in rows[-1]["cpu_ms"].items()),
            flush=True,
        )
        if p99 > 3000 or lost > len(sent):
            break  # past the knee: the next rate says nothing new
        await asyncio.sleep(2)
    pings.cancel()
    connections = sampler.stop()
    for state in states:
        if state.proto and state.closed is None:
            state.proto.sendClose()
    await asyncio.sleep(1)
    return rows, connections


async def idle(stack: Stack, seeded: dict, hold: int) -> dict:
    """Idle sockets on the first Daphne only (the goal is per Daphne)."""
    daphne = stack.pids("daphne")[0]
    states = [ClientState(user_id, cookie) for user_id, cookie in seeded["cookies"].items()]
    base = rss_mb(daphne)
    connect_s = await connect_all(states, stack.live_port, tolerant=True)
    states = [s for s in states if s.proto is not None and s.closed is None]
    t0 = time.monotonic()
    pings = asyncio.create_task(pinger(states, t0 + hold + 1))
    await asyncio.sleep(hold - 30)
    cpu_a, t_a, servers_a = cpu_seconds(daphne), time.monotonic(), stack.cpu()
    await asyncio.sleep(30)
    cpu_b, t_b, servers_b = cpu_seconds(daphne), time.monotonic(), stack.cpu()
    rss = rss_mb(daphne)
    pings.cancel()
    closed = sum(1 for s in states if s.closed)
    for state in states:
        if state.proto and state.closed is None:
            state.proto.sendClose()
    await asyncio.sleep(2)
    return {
        "sockets": len(states),
        "refused": len(seeded["cookies"]) - len(states),
        "connect_s": connect_s,
        "daphne_pct": (cpu_b - cpu_a) / (t_b - t_a) * 100,
        "postgresql_pct": (servers_b["postgresql"] - servers_a["postgresql"]) / (t_b - t_a) * 100,
        "rss_mb": rss,
        "kb_per_socket": (rss - base) * 1024 / len(states),
        "closed": closed,
        "pongs": sum(s.frames.get("pong", 0) for s in states),
        "load": load(),
    }


async def run_tree(stack: Stack, modes: list[str], args, idle_sizes: list[int]) -> dict:
    results: dict = {"modes": modes}
    stack.create()
    one = stack.seed(2, 1, offset=0)
    many = stack.seed(200, 50, offset=2)
    idles = {n: stack.seed(n, 0, offset=1000 + i * 20000) for i, n in enumerate(idle_sizes)}
    stack.start()
    try:
        for mode in modes if "sequential" in args.scenarios else []:
            print(f"{stack.name}: sequential 1:1, {mode}, load {load()}", flush=True)
            result = await sequential(stack, one, mode, args.messages, 50)
            result["load"] = load()
            results[("sequential", mode)] = result
            print(
                f"  send start → delivered {describe(result['delivered'])}; lost "
                f"{result['lost']}; CPU/message "
                + ", ".join(f"{n} {v:.1f} ms" for n, v in result["cpu_ms"].items())
                + f"; per message {result['per_message']}",
                flush=True,
            )
        for mode in (modes[:1] if args.knee_first_mode_only else modes) * (
            "knee" in args.scenarios
        ):
            print(f"{stack.name}: 200 clients, 50 conversations, {mode}", flush=True)
            results[("knee", mode)] = await knee(stack, many, mode, args.rates, args.rate_seconds)
        for n, seeded in idles.items() if "idle" in args.scenarios else []:
            print(f"{stack.name}: {n} idle sockets for {args.hold} s", flush=True)
            results[("idle", n)] = await idle(stack, seeded, args.hold)
            print(f"  {results[('idle', n)]}", flush=True)
        results["errors"] = stack.log_errors()
    finally:
        stack.stop()
    if "statements" not in args.scenarios:
        return results
    stack.log_statements(True)
    stack.start()
    try:
        for mode in modes:
            results[("statements", mode)] = await count_statements(stack, one, mode, args.count)
            print(f"  {mode}: {results[('statements', mode)]:.1f} statements per message")
    finally:
        stack.stop()
        stack.log_statements(False)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="cbc5286", help="commit before the change")
    parser.add_argument(
        "--before-modes", default="http", help="socket too, for a before that has the send frame"
    )
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--count", type=int, default=100, help="messages in the counting pass")
    parser.add_argument("--rates", default="25,50,100,150,200,250")
    parser.add_argument("--rate-seconds", type=float, default=15)
    parser.add_argument("--knee-first-mode-only", action="store_true")
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument(
        "--daphnes", type=int, default=1, help="Daphne processes after the change (before: 1)"
    )
    parser.add_argument("--stretch", type=int, default=0, help="also this many idle (after)")
    parser.add_argument("--hold", type=int, default=60)
    parser.add_argument("--only", choices=["before", "after"], default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--scenarios", default="sequential,knee,idle,statements", help="a part of them, to look"
    )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    args.scenarios = set(args.scenarios.split(","))
    random.seed(1)
    machine()
    raise_file_limit(3 * max(args.idle, args.stretch) + 2048)
    tmp = Path(tempfile.mkdtemp(prefix="regiozorg-goals-"))
    redis, redis_url = start_redis(tmp)
    before_tree = tmp / "tree-before"
    results = {}
    try:
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(before_tree), args.before],
            cwd=ROOT,
            check=True,
        )
        trees = [
            ("before", before_tree, args.before_modes.split(","), [args.idle]),
            (
                "after",
                ROOT,
                ["socket", "http"],
                [args.idle] + ([args.stretch] * bool(args.stretch)),
            ),
        ]
        for name, tree, modes, idle_sizes in trees:
            if args.only and name != args.only:
                continue
            stack = Stack(name, tree, tmp, redis_url, redis.pid)
            # The clients read as that tree's live.js did: a read frame per message before.
            ClientState.read_every = 1.0 if name == "after" else 0.0
            stack.daphnes = args.daphnes if name == "after" else 1
            # Before: Daphne's default protocol ping (every 20 s), as it was deployed then.
            stack.ping_interval = 60 if name == "after" else 20
            try:
                results[name] = asyncio.run(run_tree(stack, modes, args, idle_sizes))
            finally:
                stack.stop()
                stack.drop()
        report(results, args)
    finally:
        stop(redis)
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(before_tree)], cwd=ROOT, check=False
        )
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"(cleaned up; load {load()}; ping every {PING_SECONDS} s)")


if __name__ == "__main__":
    main()
