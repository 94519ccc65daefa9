"""The support pages (issue 19) checked with axe-core at phone (390×844) and desktop size:
the contact form (also with its errors), My questions, one answered question, the Help index,
an article and What's new with its notice. No serious or critical finding."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from support.help_texts import HELP_ARTICLES
from support.models import HelpArticle, ReleaseNote, Ticket, TicketStatus
from tests.browser.conftest import seed_matrix_defaults, serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_support_pages_have_no_serious_axe_findings(size, chromium, live_server, assistant):
    seed_matrix_defaults()
    # A transactional test starts from an empty database: the data migration's articles too.
    for key, (title, body) in HELP_ARTICLES.items():
        HelpArticle.objects.get_or_create(key=key, defaults={"title": title, "body": body})
    ReleaseNote.objects.create(
        version="2.4",
        date=datetime.date(2026, 12, 1),
        title="Hulp bij elke pagina",
        body="Elke pagina heeft nu een **vraagteken** met uitleg.\n\n- Mijn vragen\n- Hulp",
    )
    ticket = Ticket.objects.create(
        user=assistant,
        subject="Verwijzing komt niet aan",
        question="Mijn verwijzing staat nog op verzonden.",
        status=TicketStatus.CLOSED,
        answer="De fysio heeft hem inmiddels ontvangen.",
        answered_at=datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC),
    )

    context = chromium.new_context(
        base_url=live_server.url,
        viewport=SIZES[size],
        is_mobile=size == "phone",
        has_touch=size == "phone",
        locale="en-US",
    )
    page = context.new_page()
    try:
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.get_by_label("E-mail").fill(assistant.email)
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        expect(page.locator("#release-note-notice")).to_be_visible()

        problems = []

        def check(what):
            problems.extend(f"{what}: {v}" for v in serious_violations(page))

        check("start page with the release-note notice")
        for path in (
            "/contact/",
            "/contact/vragen/",
            f"/contact/vragen/{ticket.pk}/",
            "/hulp/",
            "/hulp/mdo_video/",
            "/nieuw/",
        ):
            page.goto(path)
            expect(page.locator("h1")).to_be_visible()
            check(path)
        # The form with its errors.
        page.goto("/contact/")
        page.locator("#main form button[type=submit]").click()
        expect(page.locator(".invalid-feedback").first).to_be_visible()
        check("/contact/ with errors")
        # The "?" of a page opens its article.
        page.goto("/profiel/")
        if size == "phone":
            page.locator("details.help-menu summary").click()
            page.locator("a.help-link-menu").click()
        else:
            page.locator("a.help-link").click()
        expect(page).to_have_url(re.compile(r"/hulp/profile/$"))
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
