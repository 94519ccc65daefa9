"""Redis away: sending still stores the message; when Redis is back, live delivery resumes and a
reconnecting client catches up with everything after its last id.

    uv run python bench/live_redis_down.py [--hang-seconds 20]

Everything runs on this machine, and the shared Redis on 6379 is never touched:
- its own ``redis-server`` on a free port (``--daemonize no``, nothing persisted), which the
  script kills (SIGKILL: connections refused), starts again on the same port, and later
  freezes (SIGSTOP: a Redis that accepts connections but never answers) and thaws (SIGCONT);
- its own PostgreSQL database ``regiozorg_redisdown`` (created, migrated, dropped again);
- one Daphne process (``python -m daphne``) holding the district nurse's websocket.

The settings are the production ones for ``REDIS_URL`` (Redis channel layer, Redis cache, Celery
broker in Redis and not eager) with ``DEMO_ACCOUNTS_REQUIRE_MFA=false`` (demo accounts, no
second factor). A GP sends in two ways: this script calls ``message_send`` (the service, as a
view does), and the GP's "browser" posts the composer form to Daphne (plain and with htmx).

Prints what happens, with timings; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from live.browser import Browser, LiveSocket, session_cookies
from procs import free_port, psql, stop, wait_for_port

# ruff: noqa: S603  (a bench: it starts redis-server, psql and Daphne)

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "regiozorg_redisdown"
APP = "regiozorg.asgi:application"


# --- processes -------------------------------------------------------------------------------


def start_redis(port: int, tmp: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process


def start_daphne(env: dict[str, str], tmp: Path, name: str = "daphne") -> tuple:
    port = free_port()
    log = tmp / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), APP],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for_port(port, process)
    return process, port, log


def create_database(env: dict[str, str]) -> None:
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


# --- the scenario ----------------------------------------------------------------------------


class Spent:
    """Where a send's time goes: channel-layer publishes and the Celery enqueue (both after
    commit, inside the request), counted by wrapping ``realtime._publish`` and the notification
    scheduling (``tasks_notify.notify_soon``). Failed publishes are the "live update ... not
    delivered" warnings."""

    def __init__(self):
        from conversations import realtime, tasks_notify

        self.reset()
        publish, enqueue = realtime._publish, tasks_notify.notify_soon

        def timed_publish(pairs):
            t0 = time.perf_counter()
            try:
                publish(pairs)
            finally:
                self.layer_ms += (time.perf_counter() - t0) * 1000
                self.publishes += 1

        def timed_enqueue(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return enqueue(*args, **kwargs)
            finally:
                self.celery_ms += (time.perf_counter() - t0) * 1000

        realtime._publish = timed_publish
        tasks_notify.notify_soon = timed_enqueue
        handler = logging.Handler(logging.WARNING)
        handler.emit = lambda record: setattr(self, "warnings", self.warnings + 1)
        for name in ("conversations.realtime",):
            log = logging.getLogger(name)
            log.setLevel(logging.WARNING)
            log.addHandler(handler)
            log.propagate = False

    def reset(self) -> None:
        self.layer_ms = self.celery_ms = 0.0
        self.publishes = self.warnings = 0

    def __str__(self) -> str:
        return (
            f"[{self.publishes} publishes {self.layer_ms:.0f} ms, Celery enqueue "
            f"{self.celery_ms:.0f} ms, {self.warnings} warnings]"
        )


def seed():
    from django.contrib.auth.hashers import make_password

    from accounts.levels import Level, Role
    from accounts.models import Membership, Organisation, OrganisationKind, User
    from conversations.services.messages import conversation_start
    from network.access import Actor

    practice = Organisation.objects.create(
        name="Huisartsenpraktijk De Linde", kind=OrganisationKind.GP_PRACTICE
    )
    nursing = Organisation.objects.create(
        name="Thuiszorg Friesland", kind=OrganisationKind.DISTRICT_NURSING
    )
    password = make_password(None)
    gp = User.objects.create(
        email="gp@delinde.nl",
        first_name="Gerrit",
        last_name="Postma",
        password=password,
        is_demo_account=True,
    )
    nurse = User.objects.create(
        email="wijk@thuiszorg.nl",
        first_name="Nynke",
        last_name="Wiersma",
        password=password,
        is_demo_account=True,
    )
    gp_membership = Membership.objects.create(
        user=gp, organisation=practice, level=Level.A, has_patient_data_access=True
    )
    Membership.objects.create(user=nurse, organisation=nursing, role=Role.LEAD)
    conversation = conversation_start(
        actor=Actor(user=gp, membership=gp_membership),
        kind="conversation",
        subject="Overdracht weekend",
        body="Eerste bericht.",
        client_key=uuid.uuid4(),
        people=[Membership.objects.get(user=nurse)],
    )
    return Actor(user=gp, membership=gp_membership), nurse, conversation


def service_send(actor, conversation, body: str, budget: float, spent: Spent):
    """``message_send`` in a thread of its own, so a send that hangs cannot hang the script.

    Returns (outcome, ms, thread, result): outcome is "stored #id (…)", an exception, or
    "blocked" when the thread is still busy after ``budget`` s (``result`` fills in later).
    """
    from django.db import connection

    from conversations.services.messages import message_send

    result: dict = {}

    def run():
        spent.reset()
        t0 = time.perf_counter()
        try:
            message, _created = message_send(
                actor=actor, conversation=conversation, body=body, client_key=uuid.uuid4()
            )
            result["outcome"] = f"stored #{message.pk}"
        except Exception as exc:
            result["outcome"] = f"{type(exc).__name__}: {str(exc)[:80]}"
        finally:
            result["ms"] = (time.perf_counter() - t0) * 1000
            result["spent"] = str(spent)
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    thread.join(budget)
    if thread.is_alive():
        return "blocked", (time.perf_counter() - t0) * 1000, thread, result
    return f"{result['outcome']} {result['spent']}", result["ms"], thread, result


def stored_after(conversation, after: int) -> list[int]:
    from conversations.models import Message

    return list(
        Message.objects.filter(conversation=conversation, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def show(label: str, value) -> None:
    print(f"  {label:<44} {value}", flush=True)


def describe(frame: dict | None) -> str:
    if frame is None:
        return "nothing"
    if frame["type"] == "message":
        return f"message #{frame['id']}"
    if frame["type"] == "closed":
        return f"closed ({frame['code']})"
    return frame["type"]


def frames_within(live: LiveSocket, seconds: float, since: float | None = None) -> list[str]:
    """What a socket receives in ``seconds`` (until it closes), timed from ``since``."""
    start = time.monotonic()
    since = start if since is None else since
    seen = []
    while (left := start + seconds - time.monotonic()) > 0:
        frame = live.receive(left)
        if frame is None:
            break
        at = live.arrived - since
        seen.append(f"{describe(frame)} {f'at +{at:.1f}s' if at >= 0 else '(from before)'}")
        if frame["type"] == "closed":
            break
    return seen


def reconnect(port: int, cookie: str, seconds: float = 60) -> tuple[LiveSocket | None, str]:
    """Try as live.js does (it backs off from 1 s to 30 s; here every 0.5 s)."""
    t0, attempts, last = time.perf_counter(), 0, ""
    while time.perf_counter() - t0 < seconds:
        attempts += 1
        try:
            live = LiveSocket(port, cookie)
            return live, f"accepted at attempt {attempts}, {(time.perf_counter() - t0):.1f}s"
        except (ConnectionError, OSError) as exc:
            last = str(exc)
            time.sleep(0.5)
    return None, f"refused {attempts} times in {seconds:.0f}s ({last})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--hang-seconds", type=float, default=15, help="how long to wait on a frozen Redis"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="regiozorg-redisdown-"))
    redis_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "regiozorg.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DEMO_ACCOUNTS_REQUIRE_MFA": "false",
        "DATA_DIR": str(tmp),
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)  # as in production: tasks go to the broker
    env.pop("CHANNEL_LAYER", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    redis = daphne = None
    sockets: list[LiveSocket] = []
    try:
        redis = start_redis(redis_port, tmp)
        t0 = time.perf_counter()
        create_database(env)
        print(
            f"own redis-server on {redis_port}; database {DB_NAME} migrated in "
            f"{time.perf_counter() - t0:.1f}s",
            flush=True,
        )
        import django

        django.setup()
        from django.conf import settings

        spent = Spent()
        print(
            f"channel layer {settings.CHANNEL_LAYERS['default']['BACKEND']}, cache "
            f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, Celery eager: "
            f"{settings.CELERY_TASK_ALWAYS_EAGER} (broker {settings.CELERY_BROKER_URL})"
        )
        gp_actor, nurse, conversation = seed()
        daphne, port, daphne_log = start_daphne(env, tmp)
        print(f"daphne on {port}, log {daphne_log}\n", flush=True)
        gp_browser = Browser(port, session_cookies(gp_actor.user))
        gp_browser.request("GET", f"/gesprekken/{conversation.pk}/")  # the CSRF cookie
        nurse_cookie = Browser(port, session_cookies(nurse)).cookie_header()

        def send(body, budget=60.0):
            outcome, ms, thread, result = service_send(gp_actor, conversation, body, budget, spent)
            show(f"message_send {body!r}", f"{outcome} in {ms:.0f} ms")
            return thread, result

        # The nurse's page: it has everything up to the first message.
        page_has = stored_after(conversation, 0)[-1]
        live = LiveSocket(port, nurse_cookie)
        sockets.append(live)
        live.subscribe(conversation.pk, after=page_has)

        print("1. Redis up")
        for n in (1, 2):
            send(f"Bericht {n}")
            frame = live.next("message", 5)
            show("  nurse's socket", describe(frame))
            page_has = frame["id"] if frame and frame["type"] == "message" else page_has
        status, location, _body, ms = gp_browser.post_message(
            conversation.pk, "Via de pagina", htmx=False
        )
        show("POST composer (form)", f"{status} → {location} in {ms:.0f} ms")
        frame = live.next("message", 5)
        show("  nurse's socket", describe(frame))
        page_has = frame["id"] if frame and frame["type"] == "message" else page_has
        show("the nurse's page has up to id", page_has)

        print("\n2. Redis killed (SIGKILL: connections are refused)")
        redis.kill()
        redis.wait()
        killed_at = time.monotonic()
        show("nurse's open socket", frames_within(live, 3, since=killed_at) or "silent")
        for n in (3, 4, 5):
            send(f"Bericht {n}")
        status, location, _body, ms = gp_browser.post_message(
            conversation.pk, "Via de pagina, Redis weg", htmx=False
        )
        show("POST composer (form)", f"{status} → {location} in {ms:.0f} ms")
        if location:
            status, _loc, _body, ms = gp_browser.request("GET", location.split("#")[0])
            show("  GET the conversation page it redirects to", f"{status} in {ms:.0f} ms")
        status, _loc, _body, ms = gp_browser.post_message(
            conversation.pk, "Via htmx, Redis weg", htmx=True
        )
        show("POST composer (htmx)", f"{status} in {ms:.0f} ms")
        missed = stored_after(conversation, page_has)
        show("stored meanwhile (ids)", missed)
        try:
            probe = LiveSocket(port, nurse_cookie)
            show("a new websocket now", f"accepted, then {frames_within(probe, 3)}")
            probe.close()
        except (ConnectionError, OSError) as exc:
            show("a new websocket now", f"refused ({exc})")

        print("\n3. Redis started again on the same port")
        redis = start_redis(redis_port, tmp)
        live, how = reconnect(port, nurse_cookie)
        show("the page reconnects", how)
        sockets.append(live)
        caught_up = [item["id"] for item in live.subscribe(conversation.pk, after=page_has)]
        show(f"subscribe after={page_has}: catch-up ids", caught_up)
        show("  exactly what was stored after it, in order", caught_up == missed)
        page_has = max([page_has, *caught_up])
        send("Bericht 6, Redis terug")
        frame = live.next("message", 5)
        show("  nurse's socket", f"{describe(frame)} (live again)")
        page_has = frame["id"] if frame and frame["type"] == "message" else page_has

        print(
            "\n4. Redis frozen (SIGSTOP: it accepts connections and never answers), "
            f"for {args.hang_seconds:.0f} s"
        )
        os.kill(redis.pid, signal.SIGSTOP)
        frozen_at = time.perf_counter()
        frozen_mono = time.monotonic()
        thread, result = send("Bericht 7, Redis hangt", budget=args.hang_seconds / 2)
        status, _loc, _body, ms = gp_browser.post_message(
            conversation.pk,
            "Via htmx, Redis hangt",
            htmx=True,
            timeout=max(1.0, args.hang_seconds - (time.perf_counter() - frozen_at)),
        )
        show("POST composer (htmx)", f"{status} after {ms:.0f} ms")
        missed = stored_after(conversation, page_has)
        show("stored meanwhile (ids)", missed)
        show("nurse's socket while frozen", frames_within(live, 1, since=frozen_mono) or "silent")
        os.kill(redis.pid, signal.SIGCONT)
        thawed_at = time.perf_counter()
        thread.join(60)
        show(
            "SIGCONT: the blocked message_send",
            f"{result.get('outcome', 'still blocked')} {result.get('spent', '')}, "
            f"{(time.perf_counter() - thawed_at) * 1000:.0f} ms after the thaw, "
            f"{result.get('ms', 0) / 1000:.1f} s in all",
        )
        show("nurse's socket after the thaw", frames_within(live, 3, since=frozen_mono) or "silent")

        print("\n5. After the thaw")
        live, how = reconnect(port, nurse_cookie)
        show("the page reconnects", how)
        sockets.append(live)
        caught_up = [item["id"] for item in live.subscribe(conversation.pk, after=page_has)]
        missed = stored_after(conversation, page_has)
        show(f"subscribe after={page_has}: catch-up ids", caught_up)
        show("  exactly what was stored after it, in order", caught_up == missed)
        send("Bericht 8")
        show("  nurse's socket", f"{describe(live.next('message', 5))}")
    finally:
        for live in sockets:
            with contextlib.suppress(Exception):
                live.close()
        stop(daphne)
        stop(redis)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(Exception):
            psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        print(f"\n(own redis-server and daphne stopped; database {DB_NAME} dropped)")


if __name__ == "__main__":
    main()
