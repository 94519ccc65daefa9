"""`make run` as a product: the embedded mode, its port, its address and its pages.

The last test runs what `make run` runs (migrate, collectstatic, demo_seed, serve) in a fresh
data directory and uses the site over HTTP as a person would: the Dutch pages, not Django's
technical ones, and static files served as in production.
"""

from __future__ import annotations

import http.cookiejar
import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from accounts.demo import DEMO_PASSWORD
from regiozorg.management.commands.serve import serve_banner

ROOT = Path(__file__).resolve().parent.parent


def make_dry_run(*args: str) -> str:
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_serves_on_the_port_given_and_links_e_mails_there():
    commands = make_dry_run("PORT=8080")

    assert "manage.py serve --host 127.0.0.1 --port 8080" in commands
    # Every step in the embedded mode, e-mailed links to the same address.
    for step in ("migrate", "collectstatic", "demo_seed", "serve"):
        [line] = [line for line in commands.splitlines() if f"manage.py {step}" in line]
        assert "EMBEDDED=true SITE_URL=http://127.0.0.1:8080 " in line


def test_make_run_defaults_to_port_8000():
    assert "--port 8000" in make_dry_run()


def test_serve_prints_the_address_to_open_and_the_demo_password(settings):
    settings.DEMO_DATA_ALLOWED = True
    banner = serve_banner(host="127.0.0.1", port=8080)
    assert "open http://127.0.0.1:8080/ in your browser" in banner
    assert DEMO_PASSWORD in banner

    settings.DEMO_DATA_ALLOWED = False  # production: no demo accounts to speak of
    assert DEMO_PASSWORD not in serve_banner(host="127.0.0.1", port=8080)


# --- The real thing ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _embedded_env(data_dir: Path) -> dict:
    """`make run`'s environment on a clean base: no DATABASE_URL or REDIS_URL of the CI."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return {**base, "DJANGO_SETTINGS_MODULE": "regiozorg.settings", "DATA_DIR": str(data_dir),
            "EMBEDDED": "true"}  # fmt: skip


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token, the status of a page."""

    def __init__(self, address: str):
        self.address = address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.address + path))

    def post_form(self, path: str, fields: dict) -> tuple[int, str]:
        _status, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return self._open(urllib.request.Request(self.address + path, data=data))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def embedded_site(tmp_path):
    """`make run` in ``tmp_path``: yields (address, data_dir, output lines so far)."""
    env = _embedded_env(tmp_path)
    setup_output = [
        _manage(env, "migrate", "--noinput"),
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0"),
        _manage(env, "demo_seed"),
    ]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in server.stdout], daemon=True
    ).start()
    output: list[str] = ["".join(setup_output)]
    try:
        while "password for every demo account" not in output[-1]:  # the banner's last line
            output.append(lines.get(timeout=60))  # raises Empty if it never listens
        yield f"http://127.0.0.1:{port}", tmp_path, output
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        while not lines.empty():
            output.append(lines.get())


def test_make_run_is_the_product_dutch_pages_static_files_and_a_quiet_log(embedded_site):
    address, data_dir, output = embedded_site
    with sqlite3.connect(data_dir / "db.sqlite3") as db:
        patients = dict(db.execute("SELECT his_id, id FROM network_patient"))
    browser = Browser(address)

    status, home = browser.post_form(
        "/accounts/login/",
        {"login": "wijkverpleegkundige@demo.regiozorg.nl", "password": DEMO_PASSWORD},
    )
    assert status == 200 and "Tjitske Dijkstra" in home  # logged in as the district nurse

    # Geertje van der Meer is in her care network; Tjitske Bakker is not visible to partners
    # (README): for her the Dutch "niet gevonden" page.
    status, page = browser.get(f"/patienten/{patients['terp-0001']}/")
    assert status == 200 and "Geertje" in page
    status, page = browser.get(f"/patienten/{patients['terp-0003']}/")
    assert status == 404
    assert "Pagina niet gevonden" in page and "Bakker" not in page
    status, page = browser.get("/bestaat-niet/")
    assert status == 404 and "Pagina niet gevonden" in page
    assert "URLconf" not in page and "admin/" not in page  # not the technical page

    # Static files as in production: WhiteNoise serves the hashed names of collectstatic.
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', home).group(1)
    assert browser.get(stylesheet)[0] == 200

    log = "".join(output)
    assert f"open {address}/ in your browser" in log
    assert f"password for every demo account: {DEMO_PASSWORD}" in log
    assert " INFO " not in log  # no line per eager Celery task, none of Daphne's start-up
    assert "kombu" not in log.lower()
