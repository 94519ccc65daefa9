"""Persistent database connections: pages and socket calls reuse them, none leaks.

A new PostgreSQL session costs about 6 ms of client and server work; ``DB_CONN_MAX_AGE`` (60 s
by default) keeps one per server thread. Counted where it shows: the test database's backends
in ``pg_stat_activity`` while a real gunicorn (the production page server, 1 worker x 2 threads)
and a real Daphne (which serves pages in the embedded mode, each on a thread of its own) serve
100 logged-in page requests. The count must not grow with the number of requests, nor may a
connection be left idle in a transaction.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from tests.conversations.test_scale_out import (
    ROOT,
    _environment,
    _free_port,
    _stop,
    _wait_for_port,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="counts backends in PostgreSQL's pg_stat_activity",
    ),
]

SERVERS = {
    "gunicorn": [
        "-m",
        "gunicorn",
        "regiozorg.wsgi:application",
        "--workers",
        "1",
        "--threads",
        "2",
    ],
    "daphne": ["-m", "daphne", "regiozorg.asgi:application"],
}


def backends() -> dict[int, str]:
    """Other sessions on the test database: their process ids and states."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return dict(cursor.fetchall())


@pytest.fixture(params=sorted(SERVERS))
def server(request, transactional_db, tmp_path):
    """Address of a page server on the test database, stopped before the tables are flushed."""
    port = _free_port()
    bind = ["--bind", f"127.0.0.1:{port}"] if request.param == "gunicorn" else ["-p", str(port)]
    log = tmp_path / "server.log"
    env = _environment(tmp_path) | {"DB_CONN_MAX_AGE": "60"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, *SERVERS[request.param], *bind],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield request.param, f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def test_100_page_requests_open_no_new_connection_each(server, gp, secure_client):
    name, address = server
    client = secure_client(gp)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    before = backends()

    def page() -> None:
        request = urllib.request.Request(
            address + reverse("conversations:inbox"),
            headers={"Host": "localhost", "Cookie": cookie},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert "Gesprekken" in response.read().decode()

    for _ in range(10):
        page()
    after_10 = {pid: state for pid, state in backends().items() if pid not in before}
    for _ in range(90):
        page()
    after_100 = {pid: state for pid, state in backends().items() if pid not in before}

    if name == "gunicorn":
        # One connection per thread, opened by the first requests and still the same ones
        # after 90 more: the same server processes, none idle in a transaction.
        assert 1 <= len(after_100) <= 2
        assert after_100.keys() == after_10.keys()
        assert set(after_100.values()) == {"idle"}
    else:
        # Daphne runs each page on a thread of its own: its connection is closed at the end
        # of the page (just after the response went out) instead of waiting for the garbage
        # collector with that thread.
        deadline = time.monotonic() + 5
        while len(after_100) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            after_100 = {pid: state for pid, state in backends().items() if pid not in before}
        assert after_100 == {}
