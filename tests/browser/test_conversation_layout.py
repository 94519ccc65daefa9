"""The inbox and the open conversation side by side on a wide screen, one column on a phone
(issue 15): what a care worker sees at 1366×768 and at 390×844, in real Chromium on Daphne (see
``test_conversation_journeys``), live updates in both panes included.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation
from tests.browser import test_conversation_journeys as journeys
from tests.browser.test_conversation_journeys import (
    LIVE_TIMEOUT,
    axe_findings,
    dutch,
    goto_live,
    log_in_with_totp,
    mark_page,
    same_page,
    server_errors,
    wait_for_frame,
)
from tests.conversations.conftest import send, start

pytestmark = pytest.mark.django_db(transaction=True)

# The journeys' Daphne and actors.
server, cast = journeys.server, journeys.cast

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def screen(chromium, server):
    """``screen(viewport, phone=False)``: a person at a screen of that size — a new browser
    context on the server that records its websocket frames and console errors, as the
    journeys' ``computer`` does."""
    contexts = []

    def _page(viewport, *, phone=False):
        context = chromium.new_context(
            base_url=server.url,
            viewport=viewport,
            locale="en-US",
            is_mobile=phone,
            has_touch=phone,
        )
        contexts.append(context)
        return journeys.watched_page(context)

    yield _page
    for context in contexts:
        context.close()


def open_live(page, conversation) -> None:
    since = len(page.live_frames)
    goto_live(page, f"/gesprekken/{conversation.pk}/")
    wait_for_frame(page, "messages", since=since)  # subscribed


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not on screen"
    return found


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_on_a_wide_screen_the_list_and_the_conversation_are_side_by_side(server, cast, screen):
    gp, nurse = cast.gp, cast.nurse
    start(gp, nurse, subject="Zwachtels vervangen")
    conversation = start(gp, nurse, subject="Wond linkervoet", body="Wil je naar de wond kijken?")
    start(gp, nurse, subject="Vraag over insuline", kind="consultation")
    page = screen(DESKTOP)
    log_in_with_totp(page, nurse.email, cast.secrets[nurse.pk])
    axe = []

    page.goto(f"/gesprekken/{conversation.pk}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Wond linkervoet")
    side = page.locator("#rows")
    thread = page.locator("#messages-list")
    expect(side).to_be_visible()
    expect(thread).to_contain_text("Wil je naar de wond kijken?")
    # List left, conversation right, next to each other (the list's top is in the same view).
    list_box, pane_box = box(side), box(page.locator("#conversation"))
    assert list_box["x"] + list_box["width"] <= pane_box["x"], (list_box, pane_box)
    assert list_box["y"] < DESKTOP["height"] and pane_box["y"] < DESKTOP["height"]
    expect(side.get_by_role("link")).to_have_count(2)  # the conversations, not the consultation
    current = side.locator("a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Wond linkervoet")
    expect(page.locator("#composer")).to_be_visible()
    expect(page.locator(".conversation-back")).to_be_hidden()  # a phone's way back
    assert scroll_width(page) <= DESKTOP["width"]
    axe += axe_findings(page, "conversation, wide screen")

    # The other inbox is one click away: the switch above the list.
    switch = page.get_by_role("navigation", name=dutch("Conversations or consultations"))
    expect(switch.get_by_role("link", name=dutch("Conversations"))).to_have_attribute(
        "aria-current", "true"
    )
    switch.get_by_role("link", name=re.compile(dutch("Consultations"))).click()
    expect(page).to_have_url(re.compile(r"/consultaties/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(dutch("Consultations"))
    expect(page.get_by_role("heading", name=dutch("Choose a consultation"))).to_be_visible()
    expect(page.locator("#rows li")).to_have_count(1)
    expect(page.locator("#rows")).to_contain_text("Vraag over insuline")
    axe += axe_findings(page, "consultations, wide screen")

    # Opening the consultation keeps the consultations beside it.
    page.locator("#rows").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vraag over insuline")
    expect(page.locator("#rows a[aria-current=page]")).to_contain_text("Vraag over insuline")
    expect(
        page.get_by_role("navigation", name=dutch("Conversations or consultations")).get_by_role(
            "link", name=re.compile(dutch("Consultations"))
        )
    ).to_have_attribute("aria-current", "true")

    page.goto("/gesprekken/")
    expect(page.get_by_role("heading", name=dutch("Choose a conversation"))).to_be_visible()
    expect(page.locator("#rows li")).to_have_count(2)
    axe += axe_findings(page, "inbox, wide screen")

    assert axe == [], "\n".join(axe)
    assert page.console_errors == [], page.console_errors
    assert server_errors(server) == [], server.log()


def test_both_panes_follow_new_messages_live(server, cast, screen):
    gp, nurse = cast.gp, cast.nurse
    other = start(gp, nurse, subject="Zwachtels vervangen", body="Kun je dinsdag?")
    conversation = start(gp, nurse, subject="Wond linkervoet", body="Wil je naar de wond kijken?")
    nurse_page, gp_page = screen(DESKTOP), screen(DESKTOP)
    log_in_with_totp(nurse_page, nurse.email, cast.secrets[nurse.pk])
    log_in_with_totp(gp_page, gp.email, cast.secrets[gp.pk])
    open_live(nurse_page, conversation)
    side = nurse_page.locator("#rows")
    other_row = side.locator("li", has_text="Zwachtels vervangen")
    open_row = side.locator("li", has_text="Wond linkervoet")
    expect(other_row.locator(".badge")).to_have_text(re.compile(rf"^1\s*{dutch('unread')}$"))
    mark_page(nurse_page)

    # A message in another conversation: its row in the list shows it, unread.
    open_live(gp_page, other)
    gp_page.locator("#composer").get_by_label(dutch("Message"), exact=True).fill("Of woensdag?")
    gp_page.locator("#composer").get_by_role("button", name=dutch("Send")).click()
    expect(other_row).to_contain_text("Of woensdag?", timeout=LIVE_TIMEOUT)
    expect(other_row.locator(".badge")).to_have_text(re.compile(rf"^2\s*{dutch('unread')}$"))
    expect(nurse_page.locator("#inbox-switch .badge")).to_have_text(re.compile(r"^1\s"))

    # A message in the open conversation: in the thread, and as the open row's last line,
    # read (no unread count) — the nurse has it in front of her.
    open_live(gp_page, conversation)
    gp_page.locator("#composer").get_by_label(dutch("Message"), exact=True).fill("Foto graag.")
    gp_page.locator("#composer").get_by_role("button", name=dutch("Send")).click()
    expect(nurse_page.locator("#messages-list article.message").last).to_contain_text(
        "Foto graag.", timeout=LIVE_TIMEOUT
    )
    expect(open_row).to_contain_text("Foto graag.", timeout=LIVE_TIMEOUT)
    expect(open_row.locator("a[aria-current=page]")).to_have_count(1)
    expect(open_row.locator(".badge")).to_have_count(0)
    # The open row now heads the list (newest first); still marked after the refresh.
    expect(side.locator("li").first).to_contain_text("Wond linkervoet")
    assert same_page(nurse_page), "the nurse's page reloaded"
    assert nurse_page.console_errors == [], nurse_page.console_errors
    assert gp_page.console_errors == [], gp_page.console_errors
    assert server_errors(server) == [], server.log()


def test_on_a_phone_the_conversation_has_the_screen_to_itself(server, cast, screen):
    gp, nurse = cast.gp, cast.nurse
    start(gp, nurse, subject="Zwachtels vervangen")
    conversation = start(gp, nurse, subject="Wond linkervoet dhr. Dijkstra", body="Bericht 00")
    for n in range(1, 16):
        send(gp if n % 2 else nurse, conversation, f"Bericht {n:02d}: " + "de wond is rood " * 4)
    page = screen(PHONE, phone=True)
    log_in_with_totp(page, nurse.email, cast.secrets[nurse.pk])
    axe = []

    page.goto(f"/gesprekken/{conversation.pk}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Wond linkervoet dhr. Dijkstra")
    expect(page.locator("#rows")).to_be_hidden()  # no list: the conversation has the screen
    back = page.get_by_role("link", name=dutch("Back to conversations"))
    expect(back).to_be_visible()
    # The composer is on screen at the bottom without scrolling, the latest message just
    # above it (the thread does not run under it).
    composer = page.locator("#composer")
    expect(composer).to_be_in_viewport()
    composer_box = box(composer)
    assert PHONE["height"] - 2 <= composer_box["y"] + composer_box["height"] <= PHONE["height"] + 1
    last = page.locator("#messages-list article.message").last
    expect(last).to_contain_text("Bericht 15")
    expect(last).to_be_in_viewport()
    assert box(last)["y"] + box(last)["height"] <= composer_box["y"] + 1
    expect(composer.get_by_role("button", name=dutch("Send"))).to_be_in_viewport()
    assert scroll_width(page) <= PHONE["width"], scroll_width(page)
    axe += axe_findings(page, "conversation, phone")

    back.click()
    expect(page).to_have_url(re.compile(r"/gesprekken/$"))
    rows = page.locator("#rows li")
    expect(rows).to_have_count(2)
    expect(rows.first).to_be_visible()
    expect(page.get_by_role("heading", name=dutch("Choose a conversation"))).to_be_hidden()
    assert scroll_width(page) <= PHONE["width"], scroll_width(page)
    axe += axe_findings(page, "inbox, phone")

    assert axe == [], "\n".join(axe)
    assert page.console_errors == [], page.console_errors
    assert Conversation.objects.count() == 2
