"""The runs of bench_live.py: live delivery, idle websockets and the one-hop layer test; each
prints its figures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from procs import describe, load

from live.clients import PING_SECONDS, ClientState, connect_all, make_badge_fetcher, pinger
from live.machine import Sampler, cpu_seconds, rss_mb, tree_cpu_seconds
from live.senders import http_sender, service_senders, socket_sender


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

    bench_name = "bench (clients" + ("" if args.send == "service" else " + sender") + ")"

    def cpu_now() -> dict[str, float]:
        cpu = {
            n: tree_cpu_seconds(p.pid)
            for n, p in (("daphne", daphne), ("redis", redis), ("gunicorn", gunicorn))
            if p
        }
        # This process: the clients, and the sender unless --send service.
        cpu[bench_name] = cpu_seconds(os.getpid())
        return cpu

    async def snapshot_at_start():
        await asyncio.sleep(max(0.0, measured_from - time.monotonic()))
        badge_ms.clear()
        return load(), cpu_now()

    start_snapshot = asyncio.create_task(snapshot_at_start())
    summaries: list[dict] = []
    if args.send == "service":
        sent, summaries = await service_senders(args, env, go_at)
    elif args.send == "socket":
        sent = await socket_sender(args, states, conversations, go_at)
    else:
        sent = await http_sender(args, http_port, conversations, cookies, go_at)
    sending_ended = max(i["end"] for i in sent)
    load_before, cpu0 = await start_snapshot
    cpu1 = cpu_now()
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
    via = {
        "http": f"http ({args.http})",
        "socket": "send frames over the authors' own websockets",
        "service": f"the service ({args.senders} processes)",
    }[args.send]
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
    recipients = sum(len(by_conversation[i["conversation"]]) - 1 for i in sent)
    print(
        f"missing deliveries {missing} of {recipients} (waited {drain_s:.0f}s after the last "
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
        statuses: dict = {}
        for item in sent:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        what = "POST (request → response)" if args.send == "http" else "send start → ack ('sent')"
        print(f"{what} {describe(send_ms)}; answers {statuses}")
    for name in cpu0:
        used = cpu1[name] - cpu0[name]
        print(
            f"{name} CPU during sending: {used / elapsed * 100:.1f} % of one core, "
            f"{used * 1000 / max(1, len(sent)):.1f} ms per message"
        )
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
