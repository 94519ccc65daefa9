"""Finding a Chromium for the Playwright journeys, and what to do when there is none."""

from __future__ import annotations

import os
from pathlib import Path

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


def chromium_path() -> str | None:
    """Debian's Chromium, else Playwright's own download if one is installed."""
    if Path(DEBIAN_CHROMIUM).exists():
        return DEBIAN_CHROMIUM
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
        return path if path and Path(path).exists() else None
    except Exception:
        return None


def browser_tests_required() -> bool:
    """``BROWSER_TESTS=required`` (CI) turns a missing Chromium into a failure."""
    return os.environ.get("BROWSER_TESTS", "auto").lower() == "required"


def browser_tests_status() -> str:
    path = chromium_path()
    if path:
        return f"run with Chromium at {path}"
    if browser_tests_required():
        return "REQUIRED but no Chromium found — they will fail"
    return "SKIPPED — no Chromium found (install Debian's chromium to run them)"
