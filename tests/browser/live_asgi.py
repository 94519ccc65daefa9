"""A live ASGI server (Daphne, websockets included) for browser journeys, against the test database.

pytest-django's ``live_server`` is a threaded WSGI server: pages work, ``/ws/live/`` does not.
``live_asgi_server(tmp_path)`` (a context manager) and the ``live_asgi`` fixture built on it run
the project's real ASGI application (``regiozorg.asgi``, with static files served the way
``channels.testing.ChannelsLiveServerTestCase`` serves them) in a Daphne **subprocess** started
with ``python -m tests.browser.live_asgi``. It writes its port and what it runs with (channel
layer, cache, Celery eager, database) to a ready file (``server.info``) and logs to
``tmp_path/live-asgi.log`` (``server.log()``; ``server.errors()`` lists ERROR records and stray
tracebacks, so a test can insist the server stayed clean).

- **Database.** PostgreSQL: the subprocess connects to the test database pytest-django made.
  SQLite: pytest-django's test database lives in this process's memory, which no other process
  can open, so for the duration of the test this process switches to a file copy of it (WAL,
  the project's IMMEDIATE transactions and busy timeout) and the server opens the same file;
  afterwards the in-memory database is put back, and pytest-django flushes it as usual. Test
  data must therefore be created *after* this fixture (request it first).
- **Settings.** The subprocess imports ``regiozorg.settings`` from the same environment
  (``REDIS_URL`` → Redis cache and channel layer, as in this process), then takes over the
  test-time values of :data:`MIRRORED_SETTINGS` from this process — among them
  ``CELERY_TASK_ALWAYS_EAGER`` (tests/conftest.py's autouse fixture sets it here; the
  subprocess would otherwise default to a worker queue when Redis is configured) and the fast
  password hasher the actors' passwords were made with. E-mail goes to the in-memory backend,
  as under pytest-django; attachments go to a private directory under ``tmp_path``.
- **One process** serves both browsers, so the in-memory channel layer (no ``REDIS_URL``) is
  enough for live delivery between them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_ENV = "LIVE_ASGI_SETTINGS"
READY_FILE_ENV = "LIVE_ASGI_READY_FILE"
START_TIMEOUT = 60
STOP_TIMEOUT = 3
# A line of the server's log (settings.LOGGING "plain": "%(asctime)s %(levelname)s ...").
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ([A-Z]+) ")
# Test-time values taken over from the pytest process (autouse fixtures may have changed them).
MIRRORED_SETTINGS = (
    "DEBUG",
    "PASSWORD_HASHERS",
    "CELERY_TASK_ALWAYS_EAGER",
    "CELERY_TASK_EAGER_PROPAGATES",
    "DEMO_ACCOUNTS_REQUIRE_MFA",
    "LANGUAGE_CODE",
    "TIME_ZONE",
)


@dataclass
class LiveAsgiServer:
    url: str
    port: int
    database: str
    log_path: Path
    process: subprocess.Popen
    info: dict  # what the server runs with: channel layer, cache, Celery eager, database

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)

    def log(self, tail: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def errors(self) -> list[str]:
        """What the server logged at ERROR or CRITICAL so far (each record with its traceback),
        and any traceback printed outside a log record (or after an INFO line)."""
        records: list[tuple[str, list[str]]] = []
        for line in self.log(tail=10_000_000).splitlines():
            header = LOG_RECORD.match(line)
            if header:
                records.append((header.group(1), [line]))
            elif line.startswith("Traceback") and (
                not records or records[-1][0] in ("DEBUG", "INFO")
            ):
                records.append(("TRACEBACK", [line]))
            elif records:
                records[-1][1].append(line)
        return [
            "\n".join(lines)
            for level, lines in records
            if level in ("ERROR", "CRITICAL", "TRACEBACK")
        ]


def _sqlite_file_copy(connection, path: Path):
    """A file copy of the in-memory SQLite test database, and a connection to it."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    settings_dict = {**connection.settings_dict, "NAME": str(path)}
    return connection.__class__(settings_dict, connection.alias)


def _jsonable_database(settings_dict: dict) -> dict:
    return json.loads(json.dumps(settings_dict, default=str))


def _start(tmp_path: Path, settings_dict: dict) -> LiveAsgiServer:
    from django.conf import settings

    private = tmp_path / "private"
    private.mkdir(exist_ok=True)
    storages = json.loads(json.dumps(settings.STORAGES, default=str))
    storages["private"]["OPTIONS"]["location"] = str(private)
    overrides = {name: getattr(settings, name) for name in MIRRORED_SETTINGS}
    overrides.update(
        DATABASES={"default": _jsonable_database(settings_dict)},
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        STORAGES=storages,
    )
    ready_file = tmp_path / "live-asgi.ready.json"
    log_path = tmp_path / "live-asgi.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "regiozorg.settings",
        SETTINGS_ENV: json.dumps(overrides),
        READY_FILE_ENV: str(ready_file),
        "PYTHONUNBUFFERED": "1",
    }
    # Set in this process by the chromium fixture (Playwright's loop); the server needs none.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.browser.live_asgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not ready_file.exists():
        if process.poll() is not None:
            raise RuntimeError(
                f"Daphne exited with {process.returncode}:\n{log_path.read_text(errors='replace')}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"Daphne did not start:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.05)
    info = json.loads(ready_file.read_text())
    port = info["port"]
    return LiveAsgiServer(
        url=f"http://127.0.0.1:{port}",
        port=port,
        database=f"{settings_dict['ENGINE'].rsplit('.', 1)[-1]}:{settings_dict['NAME']}",
        log_path=log_path,
        process=process,
        info=info,
    )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (Daphne stops its reactor), then SIGKILL: at exit the process may still wait
    for a worker thread of Django's sync executor, which a test has no reason to sit out."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def live_asgi_server(tmp_path: Path):
    """Daphne serving the project against the test database, for the duration of the block.

    Needs a transactional database (``transactional_db`` or ``django_db(transaction=True)``):
    the server's own connections must see what the test writes, and the reverse.
    """
    from django.db import DEFAULT_DB_ALIAS, connections

    original = connections[DEFAULT_DB_ALIAS]
    swapped = None
    if original.vendor == "sqlite" and original.is_in_memory_db():
        swapped = _sqlite_file_copy(original, tmp_path / "live-asgi.sqlite3")
        connections[DEFAULT_DB_ALIAS] = swapped
    try:
        server = _start(tmp_path, connections[DEFAULT_DB_ALIAS].settings_dict)
        try:
            yield server
        finally:
            _stop(server.process)
    finally:
        if swapped is not None:
            swapped.close()
            connections[DEFAULT_DB_ALIAS] = original


@pytest.fixture
def live_asgi(transactional_db, tmp_path):
    """The server of :func:`live_asgi_server`; request it before any test data."""
    with live_asgi_server(tmp_path) as server:
        yield server


# --- the subprocess ---------------------------------------------------------------------------


def _serve() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regiozorg.settings")
    from django.conf import settings

    for name, value in json.loads(os.environ[SETTINGS_ENV]).items():
        setattr(settings, name, value)

    import django

    django.setup()  # installs Twisted's asyncio reactor (the daphne app imports daphne.server)

    from channels.routing import get_default_application
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from twisted.internet import reactor

    from regiozorg.celery import app as celery_app

    celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    celery_app.conf.task_eager_propagates = settings.CELERY_TASK_EAGER_PROPAGATES

    server = Server(
        application=ASGIStaticFilesHandler(get_default_application()),
        endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
        signal_handlers=True,
        verbosity=1,
    )
    ready_file = Path(os.environ[READY_FILE_ENV])

    def announce_ready():
        if not server.listening_addresses:
            reactor.callLater(0.05, announce_ready)
            return
        partial = ready_file.with_suffix(".partial")
        partial.write_text(
            json.dumps(
                {
                    "port": server.listening_addresses[0][1],
                    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
                    "cache": settings.CACHES["default"]["BACKEND"],
                    "celery_eager": celery_app.conf.task_always_eager,
                    "database": settings.DATABASES["default"]["NAME"],
                }
            )
        )
        partial.replace(ready_file)

    reactor.callLater(0.05, announce_ready)
    server.run()


if __name__ == "__main__":
    _serve()
