"""Screenshots of the main pages for the README and ``docs/screenshots/`` (``make screenshots``).

Starts the site the way ``make run`` does (the embedded mode: migrate, collectstatic, demo_seed,
``manage.py serve``) but on a free port and in a temporary data directory, so the developer's own
``var/`` database is never touched; logs in as the demo accounts in Debian's Chromium (Playwright)
and writes ``desktop-<page>.png`` (1366×768, full page) and ``phone-<page>.png`` (390×844 at
device scale 2, the screen as the page opens) for each page. The server is stopped at the end,
also on error.

    .venv/bin/python tools/screenshots.py [--out DIR] [--only NAME ...]

Standalone: it imports nothing of the project (the site runs in its own process), only Playwright.
"""

# ruff: noqa: S603, S310  (a tool: it runs manage.py and asks its own site on 127.0.0.1)

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "docs" / "screenshots"

# Kept equal to accounts.demo.DEMO_PASSWORD / DEMO_DOMAIN (tests/test_screenshots_doc.py checks).
DEMO_PASSWORD = "Regiozorg-demo-2026"
DEMO_DOMAIN = "demo.regiozorg.nl"

# As tests/browser/chromium.py (not importable from here: tools/ does not depend on the tests).
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The browser's own texts (the date field's dd-mm-jjjj) in Dutch, where Chromium has the Dutch
# locale (Debian: the chromium-l10n package; without it they stay English, mm/dd/yyyy).
LAUNCH_ARGS = [*CHROMIUM_ARGS, "--lang=nl-NL"]

DESKTOP = {"viewport": {"width": 1366, "height": 768}, "device_scale_factor": 1}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# Variables that would point the site at another database, cache, host or data directory.
_SCRUBBED = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DATA_DIR",
    "PRIVATE_FILES_DIR",
    "ACCESS_LOG_SEAL_DIR",
    "DJANGO_SETTINGS_MODULE",
)


@dataclass(frozen=True)
class Shot:
    name: str  # file name stem: desktop-<name>.png, phone-<name>.png
    account: str | None  # demo account (the part before @), None: not logged in
    # How to reach the page: ("goto", path), ("click", link text), ("row", text in a table row:
    # its link), ("href", regular expression: the first link in #main to a path matching it).
    steps: tuple
    heading: str  # text the h1 in #main must contain (an error or login page never passes)


SHOTS = (
    Shot("login", None, (("goto", "/accounts/login/"),), "Inloggen"),
    Shot("start", "huisarts", (("goto", "/"),), "Welkom"),
    Shot("patients", "huisarts", (("goto", "/patienten/"),), "Patiënten"),
    Shot(
        "patient",
        "huisarts",
        (("goto", "/patienten/?q=Meer"), ("row", "terp-0001")),
        "Meer, G. van der",
    ),
    Shot(
        "access-log",
        "huisarts",
        (
            ("goto", "/patienten/?q=Meer"),
            ("row", "terp-0001"),
            ("click", "Wie heeft dit dossier ingezien?"),
        ),
        "Meer, G. van der",
    ),
    Shot(
        "acp",
        "wijkverpleegkundige",
        (("goto", "/patienten/?q=Geertje"), ("row", "Meer"), ("click", "PZP")),
        "Meer, G. van der",
    ),
    Shot(
        "health-plan",
        "wijkverpleegkundige",
        (
            ("goto", "/patienten/?q=Geertje"),
            ("row", "Meer"),
            ("click", "Gezondheidsplan"),
        ),
        "Meer, G. van der",
    ),
    Shot("inbox", "huisarts", (("goto", "/gesprekken/"),), "Gesprekken"),
    Shot(
        "conversation",
        "huisarts",
        (("goto", "/gesprekken/"), ("href", r"/gesprekken/\d+/")),
        "",
    ),
    Shot(
        "referral",
        "wijkverpleegkundige",
        (("goto", "/verwijzingen/?tab=treatment"), ("href", r"/verwijzingen/\d+/")),
        "",
    ),
    Shot("staff", "huisarts", (("goto", "/praktijkinstellingen/medewerkers/"),), "Medewerkers"),
)


# The h1 of the error pages (templates/404.html, 403.html, 500.html): never a screenshot.
ERROR_HEADING = re.compile(r"niet gevonden|geen toegang|ging iets mis", re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        EMBEDDED="true",
        DATA_DIR=str(data_dir),
        SITE_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  manage.py {' '.join(args)} ({time.monotonic() - started:.0f} s)", flush=True)


@contextlib.contextmanager
def running_site(data_dir: Path):
    """The embedded site on a free port with its data in data_dir; yields its base URL."""
    port = free_port()
    env = site_env(data_dir, port)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "demo_seed")
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - closed below, after the process
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the site stopped at start-up:\n{tail(data_dir / 'serve.log')}")
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the site did not answer within 60 s:\n{tail(data_dir / 'serve.log')}"
                )
            time.sleep(0.3)
        print(f"  site answers on {base}", flush=True)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def log_in(page, account: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(f"{account}@{DEMO_DOMAIN}")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state("networkidle")
    if "/accounts/" in page.url:
        raise RuntimeError(f"logging in as {account} did not succeed (still on {page.url})")


def reach(page, shot: Shot) -> None:
    for action, target in shot.steps:
        if action == "goto":
            page.goto(target)
        elif action == "click":
            page.get_by_role("link", name=target).first.click()
        elif action == "row":  # the link in the table row holding this text (a HIS number)
            page.locator("tr", has_text=target).get_by_role("link").first.click()
        elif action == "href":  # the first link in the page's main part going to such a path
            hrefs = page.locator("#main a[href]").evaluate_all(
                "links => links.map(a => a.pathname)"
            )
            path = next((h for h in hrefs if re.fullmatch(target, h)), None)
            if path is None:
                raise RuntimeError(f"{shot.name}: no link to {target} on {page.url}")
            page.goto(path)
        page.wait_for_load_state("networkidle")
    heading = page.locator("#main h1").first.inner_text()
    wrong = shot.account and ("/accounts/" in page.url or ERROR_HEADING.search(heading))
    if wrong or shot.heading not in heading:
        raise RuntimeError(f"{shot.name}: expected the page, got {page.url} with h1 {heading!r}")


def take(browser, base: str, shots, out_dir: Path) -> list[Path]:
    """Each page on the desktop and then on the phone, in the order of shots (so both start pages
    show the conversation unread that the conversation page then opens)."""
    written = []
    contexts = {}  # (kind, account): a browser context logged in as that account
    try:
        for shot in shots:
            for kind, options in (("desktop", DESKTOP), ("phone", PHONE)):
                if (kind, shot.account) not in contexts:
                    context = browser.new_context(
                        base_url=base,
                        locale="nl-NL",
                        timezone_id="Europe/Amsterdam",
                        reduced_motion="reduce",
                        **options,
                    )
                    contexts[kind, shot.account] = context
                    page = context.new_page()
                    if shot.account:
                        log_in(page, shot.account)
                page = contexts[kind, shot.account].pages[0]
                reach(page, shot)
                page.mouse.move(0, 0)  # no hover state on whatever was clicked last
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > options["viewport"]["width"]:
                    print(f"  note: {kind}-{shot.name} scrolls sideways ({width}px wide)")
                path = out_dir / f"{kind}-{shot.name}.png"
                page.screenshot(
                    path=str(path), full_page=kind == "desktop", animations="disabled", caret="hide"
                )
                written.append(path)
                print(f"  wrote {path} ({path.stat().st_size // 1024} KB)", flush=True)
    finally:
        for context in contexts.values():
            context.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR, help="where to write (docs/screenshots)"
    )
    parser.add_argument("--only", nargs="*", metavar="NAME", help="only these pages (e.g. start)")
    args = parser.parse_args(argv)
    shots = [s for s in SHOTS if not args.only or s.name in args.only]
    if not shots:
        parser.error(f"no such page; choose from {', '.join(s.name for s in SHOTS)}")
    if not Path(DEBIAN_CHROMIUM).exists():
        print(
            f"No Chromium at {DEBIAN_CHROMIUM} (Debian: apt-get install chromium).", file=sys.stderr
        )
        return 1

    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="regiozorg-screenshots-"))
    try:
        print("Starting the site (embedded mode, temporary database) …", flush=True)
        with running_site(data_dir) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=DEBIAN_CHROMIUM, args=LAUNCH_ARGS)
            try:
                written = take(browser, base, shots, args.out)
            finally:
                browser.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if not args.only:  # a page no longer taken leaves no stale picture behind
        for stale in {*args.out.glob("desktop-*.png"), *args.out.glob("phone-*.png")} - set(
            written
        ):
            stale.unlink()
            print(f"  removed {stale}")
    total = sum(path.stat().st_size for path in written)
    print(
        f"Wrote {len(written)} screenshots ({total / 1024 / 1024:.1f} MB) to "
        f"{args.out} in {time.monotonic() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
