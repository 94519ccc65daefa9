"""The composer sends over the page's websocket (issue 13), and still through the form without
JavaScript. Two real Chromium contexts on Daphne (see ``test_conversation_journeys``)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
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
from tests.conversations.conftest import start

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
        create_url = reverse("conversations:message-create", args=[conversation.pk])
        assert [url for url in posted if url.endswith(create_url)] == [server.url + create_url]
    finally:
        context.close()
