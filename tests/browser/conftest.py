from __future__ import annotations

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.chromium import CHROMIUM_ARGS, browser_tests_required, chromium_path
from tests.conftest import seed_matrix_defaults  # noqa: F401  (the journeys import it from here)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def collect_console_errors(page) -> list[str]:
    """Console errors of ``page``, except the live websocket's failed handshake.

    pytest-django's threaded ``live_server`` speaks WSGI only, so every page's websocket
    (static/js/live.js) fails there and the page goes on without live updates, as designed.
    Journeys that test live behaviour run on Daphne (``tests/browser/live_asgi.py``) and keep
    every console error.
    """
    errors: list[str] = []

    def on_console(message):
        if message.type == "error" and "WebSocket connection to" not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    return errors


@pytest.fixture(scope="package")
def chromium():
    # Package scope, not session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and the websocket tests elsewhere need async_to_sync there.
    path = chromium_path()
    if path is None:
        message = "no Chromium found (looked for /usr/bin/chromium and Playwright's own)"
        if browser_tests_required():
            pytest.fail(f"BROWSER_TESTS=required but {message}")
        pytest.skip(f"browser test skipped: {message}")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself (fixtures, assertions) are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context per test (desktop size), with the base URL set."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    page.console_errors = collect_console_errors(page)
    yield page
    context.close()


@pytest.fixture
def other_computer(chromium, live_server):
    """Another person at another computer: ``other_computer()`` gives a page in a new browser
    context (same settings as ``page``), closed after the test."""
    contexts = []

    def _page():
        context = chromium.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
        )
        contexts.append(context)
        new_page = context.new_page()
        new_page.console_errors = collect_console_errors(new_page)
        return new_page

    yield _page
    for context in contexts:
        context.close()


@pytest.fixture
def phone_page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    page = context.new_page()
    yield page
    context.close()


def serious_violations(page) -> list[str]:
    """axe-core violations of impact serious or critical on the current page."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def assert_accessible():
    def _check(page):
        violations = serious_violations(page)
        assert violations == [], f"{page.url}: " + "\n".join(violations)

    return _check
