"""Who sends: processes of their own calling ``message_send`` (so they do not share a GIL
with the clients), POSTs to the message view as the page sent them, or ``send`` frames over
the author's own websocket as the composer sends them now."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path

from live.machine import cpu_seconds
from live.servers import ROOT, SCRIPT

MESSAGE_ID = re.compile(rb'data-message-id="(\d+)"')


def sender_main(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from accounts.models import Membership
    from conversations import realtime, tasks_notify
    from conversations.models import Conversation
    from conversations.services.messages import message_send
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
    original_delay = tasks_notify.notify_soon

    def timed_delay(*a, **kw):
        t0 = time.monotonic()
        try:
            return original_delay(*a, **kw)
        finally:
            notify_ms.append((time.monotonic() - t0) * 1000)

    tasks_notify.notify_soon = timed_delay

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


async def service_senders(args, env, go_at: float) -> tuple[list[dict], list[dict]]:
    """``--senders`` processes calling ``message_send``; returns (sends, per-process summaries)."""
    processes = []
    for index in range(args.senders):
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                str(SCRIPT),
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


async def composer_post(port: int, conversation: int, cookie: str, form: str) -> tuple[int, bytes]:
    """The composer's htmx form POST (``form``: the url-encoded fields) on a new connection;
    returns the status and the response."""
    csrf = "c" * 32
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST /gesprekken/{conversation}/berichten/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
            f"Cookie: {cookie}; regiozorg_csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\n"
            "HX-Request: true\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n{form}"
        ).encode()
    )
    await writer.drain()
    data = await reader.read()
    writer.close()
    return (int(data.split(b" ", 2)[1]) if data else 0), data


def message_id_in(data: bytes) -> int | None:
    found = MESSAGE_ID.search(data)
    return int(found.group(1)) if found else None


async def _at_rate(args, conversations, go_at: float, send) -> None:
    """``send(i, conversation, author)`` at --rate for --seconds after a 2-s warm-up, each
    author one of the conversation's participants at random."""
    rng = random.Random(5)
    tasks = []
    for i in range(int(args.rate * 2) + int(args.rate * args.seconds)):
        await asyncio.sleep(max(0.0, go_at + i / args.rate - time.monotonic()))
        conversation_id, *user_ids = conversations[i % len(conversations)]
        tasks.append(asyncio.create_task(send(i, conversation_id, rng.choice(user_ids))))
    await asyncio.gather(*tasks)


def _sent(i: int, args, conversation: int, author: int, start: float, end: float, **answer):
    return {
        **answer,
        "conversation": conversation,
        "author": author,
        "start": start,
        "commit": None,
        "published": None,
        "end": end,
        "warmup": i < int(args.rate * 2),
    }


async def http_sender(args, port, conversations, cookies, go_at: float) -> list[dict]:
    """POST to the message view (htmx form, as the page sends), at --rate."""
    sent: list[dict] = []

    async def post(i: int, conversation: int, author: int):
        form = (
            f"body=Bench-bericht+{i}%3A+hoe+gaat+het+met+de+wondzorg+vandaag%3F"
            f"&client_key={uuid.uuid4()}"
        )
        t_start = time.monotonic()
        status, data = await composer_post(port, conversation, cookies[author], form)
        sent.append(
            _sent(
                i,
                args,
                conversation,
                author,
                t_start,
                time.monotonic(),
                id=message_id_in(data),
                status=status,
            )
        )

    await _at_rate(args, conversations, go_at, post)
    return sent


async def socket_sender(args, states, conversations, go_at: float) -> list[dict]:
    """``send`` frames at --rate, each over the author's own subscribed websocket, as the
    composer sends them (its client key: the one the last "sent" frame handed out). "end" is the
    moment the author's socket has the answer ("sent", or an "error" naming the key)."""
    by_author = {(s.conversation, s.user_id): s for s in states}
    sent: list[dict] = []
    loop = asyncio.get_running_loop()

    async def send(i: int, conversation: int, author: int):
        state = by_author[(conversation, author)]
        key, state.next_key = state.next_key or str(uuid.uuid4()), None
        answered = state.acks[key] = loop.create_future()
        t_start = time.monotonic()
        state.proto.send_json(
            {
                "type": "send",
                "conversation": conversation,
                "body": f"Bench-bericht {i}: hoe gaat het met de wondzorg vandaag?",
                "client_key": key,
            }
        )
        try:
            t_end, answer = await asyncio.wait_for(answered, 120)
        except TimeoutError:
            state.acks.pop(key, None)
            t_end, answer = time.monotonic(), {"type": "timeout"}
        sent.append(
            _sent(
                i,
                args,
                conversation,
                author,
                t_start,
                t_end,
                id=answer.get("message"),
                status=answer.get("type"),
            )
        )

    await _at_rate(args, conversations, go_at, send)
    return sent
