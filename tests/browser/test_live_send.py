"""The composer sends over the page's websocket (issue 13), and still through the form without
JavaScript. Two real Chromium contexts on Daphne (see ``test_conversation_journeys``)."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conversations.models import Message
from tests.browser import test_conversation_journeys as journeys
from tests.browser.test_conversation_journeys import (
    LIVE_TIMEOUT,
    dutch,
    frames,
    goto_live,
    log_in_with_totp,
    mark_page,
    same_page,
    server_errors,
    wait_for_frame,
)
from tests.conversations.conftest import send, start

pytestmark = pytest.mark.django_db(transaction=True)

# The journeys' Daphne, actors and recording browser contexts.
server, cast, computer = journeys.server, journeys.cast, journeys.computer

TEXT = "Kun je vanmiddag de zwachtels vervangen?"


def open_conversation(page, conversation) -> None:
    since = len(page.live_frames)
    goto_live(page, f"/gesprekken/{conversation.pk}/")
    wait_for_frame(page, "messages", since=since)  # subscribed


def test_a_typed_message_goes_over_the_socket_and_arrives_at_the_other_browser(
    server, cast, computer
):
    gp_page, nurse_page = computer(), computer()
    log_in_with_totp(gp_page, cast.gp.email, cast.secrets[cast.gp.pk])
    log_in_with_totp(nurse_page, cast.nurse.email, cast.secrets[cast.nurse.pk])
    conversation = start(cast.gp, cast.nurse, subject="Zwachtels")
    open_conversation(gp_page, conversation)
    open_conversation(nurse_page, conversation)
    mark_page(gp_page)
    mark_page(nurse_page)
    posted = []
    gp_page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    composer = gp_page.locator("#composer")
    key_before = composer.locator("input[name=client_key]").input_value()

    # Nothing written: the server's Dutch refusal shows where the form shows its errors.
    composer.get_by_role("button", name=dutch("Send")).click()
    expect(composer.locator(".alert-danger")).to_have_text(dutch("Write a message."))

    composer.get_by_label(dutch("Message"), exact=True).fill(TEXT)
    composer.get_by_role("button", name=dutch("Send")).click()

    nurse_messages = nurse_page.locator("#messages-list article.message")
    expect(nurse_messages).to_have_count(2, timeout=LIVE_TIMEOUT)
    expect(nurse_messages.nth(1)).to_contain_text(TEXT)
    gp_messages = gp_page.locator("#messages-list article.message")
    expect(gp_messages).to_have_count(2, timeout=LIVE_TIMEOUT)  # the sender's own copy, once
    expect(gp_messages.nth(1)).to_contain_text(TEXT)
    # As after the htmx POST: empty, no error, a fresh key for the next message.
    expect(composer.locator("textarea")).to_have_value("")
    expect(composer.locator(".alert-danger")).to_have_count(0)
    key_after = composer.locator("input[name=client_key]").input_value()
    assert key_after != key_before

    message = Message.objects.get(conversation=conversation, body=TEXT)
    assert str(message.client_key) == key_before
    # One fragment for both; each page puts its own messages on the right.
    expect(gp_messages.nth(1)).to_have_class(re.compile(r"\bmessage-mine\b"))
    expect(nurse_messages.nth(1)).not_to_have_class(re.compile(r"\bmessage-mine\b"))
    expect(nurse_messages.nth(1)).to_contain_text(cast.gp.full_name)
    ack = wait_for_frame(gp_page, "sent")
    assert (ack["message"], ack["next_client_key"]) == (message.pk, key_after)
    assert posted == [], "the composer posted instead of sending over the socket"
    assert same_page(gp_page) and same_page(nurse_page)
    assert frames(nurse_page, "message"), "the message did not come as a live push"
    assert server_errors(server) == [], server.log()
    assert gp_page.console_errors == [] and nurse_page.console_errors == []


def test_without_javascript_the_composer_still_sends_through_the_form(server, cast, chromium):
    context = chromium.new_context(
        base_url=server.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        posted = []
        page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
        log_in_with_totp(page, cast.gp.email, cast.secrets[cast.gp.pk])
        conversation = start(cast.gp, cast.nurse, subject="Zonder JavaScript")
        page.goto(f"/gesprekken/{conversation.pk}/")

        page.locator("#composer").get_by_label(dutch("Message"), exact=True).fill(TEXT)
        page.locator("#composer").get_by_role("button", name=dutch("Send")).click()

        message = Message.objects.get(conversation=conversation, body=TEXT)
        expect(page).to_have_url(
            re.compile(rf"/gesprekken/{conversation.pk}/#message-{message.pk}$")
        )
        expect(page.locator(f"#message-{message.pk}")).to_contain_text(TEXT)
        expect(page.locator(f"#message-{message.pk}")).to_have_class("message message-mine")
        create_url = reverse("conversations:message-create", args=[conversation.pk])
        assert [url for url in posted if url.endswith(create_url)] == [server.url + create_url]
    finally:
        context.close()


def test_a_message_on_a_new_day_comes_with_its_day_separator(server, cast, computer):
    """The thread was written yesterday; today's first message, pushed, opens "Vandaag"."""
    gp_page, nurse_page = computer(), computer()
    log_in_with_totp(gp_page, cast.gp.email, cast.secrets[cast.gp.pk])
    log_in_with_totp(nurse_page, cast.nurse.email, cast.secrets[cast.nurse.pk])
    conversation = start(cast.gp, cast.nurse, subject="Gisteren begonnen")
    Message.objects.filter(conversation=conversation).update(
        created_at=timezone.now() - datetime.timedelta(days=1)
    )
    open_conversation(gp_page, conversation)
    open_conversation(nurse_page, conversation)
    days = nurse_page.locator("#messages-list .message-day")
    expect(days).to_have_text([dutch("Yesterday")])

    composer = gp_page.locator("#composer")
    composer.get_by_label(dutch("Message"), exact=True).fill(TEXT)
    composer.get_by_role("button", name=dutch("Send")).click()

    for page in (nurse_page, gp_page):
        expect(page.locator("#messages-list article.message")).to_have_count(
            2, timeout=LIVE_TIMEOUT
        )
        expect(page.locator("#messages-list .message-day")).to_have_text(
            [dutch("Yesterday"), dutch("Today")]
        )
        # The separator stands right before the new message.
        expect(
            page.locator("#messages-list .message-day + article.message").nth(1)
        ).to_contain_text(TEXT)
    assert gp_page.console_errors == [] and nurse_page.console_errors == []


def test_on_a_phone_the_composer_stays_at_the_bottom_while_the_thread_scrolls(
    server, cast, chromium
):
    context = chromium.new_context(
        base_url=server.url, viewport={"width": 390, "height": 844}, locale="en-US"
    )
    try:
        page = context.new_page()
        log_in_with_totp(page, cast.nurse.email, cast.secrets[cast.nurse.pk])
        conversation = start(cast.gp, cast.nurse, subject="Lang gesprek")
        for n in range(30):
            send(cast.gp if n % 2 else cast.nurse, conversation, f"Bericht {n:02d}")
        page.goto(f"/gesprekken/{conversation.pk}/")

        composer = page.locator("#composer")
        last = page.locator("#messages-list article.message").last
        expect(last).to_contain_text("Bericht 29")
        # Opened at the latest message, just above the composer.
        expect(last).to_be_in_viewport()
        expect(composer).to_be_in_viewport()
        assert last.bounding_box()["y"] + last.bounding_box()["height"] <= (
            composer.bounding_box()["y"] + 1
        )
        page.evaluate("() => window.scrollTo({ top: 0, behavior: 'instant' })")
        expect(page.locator("#messages-list article.message").first).to_be_in_viewport()
        box = composer.bounding_box()
        assert box["y"] + box["height"] <= 844 + 1, box  # still on screen, at the bottom
        expect(composer.get_by_role("button", name=dutch("Send"))).to_be_in_viewport()
    finally:
        context.close()


def test_a_page_reading_along_sends_a_read_frame_a_second_and_none_for_its_own_message(
    server, cast, computer
):
    """Six messages in a burst: the reader's page marks them read at once and once more a
    second later with the last id (not six frames; issue 13), and her mark ends at the last
    message. Her own message is read already (the send marked it): no read frame for it."""
    from conversations.models import ReadState

    gp_page, nurse_page = computer(), computer()
    reads = []

    def on_websocket(ws):
        def sent(payload):
            if '"read"' in payload:
                reads.append(json.loads(payload)["message"])

        ws.on("framesent", sent)

    nurse_page.on("websocket", on_websocket)
    log_in_with_totp(gp_page, cast.gp.email, cast.secrets[cast.gp.pk])
    log_in_with_totp(nurse_page, cast.nurse.email, cast.secrets[cast.nurse.pk])
    conversation = start(cast.gp, cast.nurse, subject="Wondzorg")
    open_conversation(nurse_page, conversation)
    nurse_messages = nurse_page.locator("#messages-list article.message")
    expect(nurse_messages).to_have_count(1)
    reads.clear()

    burst = [send(cast.gp, conversation, f"Meting {n}").pk for n in range(1, 7)]
    expect(nurse_messages).to_have_count(7, timeout=LIVE_TIMEOUT)
    nurse_page.wait_for_timeout(1500)  # the throttled mark's second, and a margin
    assert 1 <= len(reads) <= 2, reads
    assert reads[-1] == burst[-1]
    mark = ReadState.objects.get(conversation=conversation, user=cast.nurse)
    assert mark.last_read_message_id == burst[-1]

    reads.clear()
    composer = nurse_page.locator("#composer")
    composer.get_by_label(dutch("Message"), exact=True).fill("Ik kom om drie uur langs.")
    composer.get_by_role("button", name=dutch("Send")).click()
    expect(nurse_messages).to_have_count(8, timeout=LIVE_TIMEOUT)
    nurse_page.wait_for_timeout(1500)
    own = Message.objects.get(conversation=conversation, author=cast.nurse)
    assert reads == []
    mark.refresh_from_db()
    assert mark.last_read_message_id == own.pk  # marked by the send itself
    assert server_errors(server) == [], server.log()
    assert nurse_page.console_errors == []
