"""Questions to the helpdesk (issue 19, part A): the contact form makes a ticket, the helpdesk
answers it in the admin, the asker gets the answer by e-mail once and sees it under My questions."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from support.models import Ticket, TicketScreenshot, TicketStatus
from support.services import ticket_answer_mail
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

QUESTION = {
    "subject": "Verwijzing komt niet aan",
    "question": "Mijn verwijzing naar de fysio staat nog op verzonden.\nKunnen jullie kijken?",
}


def png(size=(40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile("scherm.png", out.getvalue(), content_type="image/png")


def _ask(client, committing, data, **extra):
    with committing():
        return client.post(reverse("support:ticket-create"), data, **extra)


def test_contact_page_shows_the_form(client, assistant):
    client.force_login(assistant)
    response = client.get(reverse("support:ticket-create"), {"next": "/verwijzingen/"})
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"subject", "question", "screenshot", "next"}
    assert response.context["form"].initial["next"] == "/verwijzingen/"


def test_question_becomes_a_ticket_and_the_helpdesk_is_mailed_without_the_screenshot(
    client, assistant, committing, private_files
):
    client.force_login(assistant)
    response = _ask(
        client,
        committing,
        {**QUESTION, "next": "/verwijzingen/?status=open", "screenshot": png()},
        HTTP_USER_AGENT="Mozilla/5.0 (Test) Chromium",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("support:ticket-list")

    ticket = Ticket.objects.get()
    assert ticket.user == assistant
    assert ticket.organisation.name == "Huisartsenpraktijk De Linde"
    assert ticket.page == "/verwijzingen/"  # the path only
    assert ticket.user_agent == "Mozilla/5.0 (Test) Chromium"
    assert ticket.status == TicketStatus.NEW
    assert ticket.screenshot.content_type == "image/png"
    assert ticket.screenshot.file.read()[:4] == b"\x89PNG"

    [email] = mail.outbox
    assert email.to == [settings.SUPPORT_EMAIL]
    assert email.reply_to == [assistant.email]
    assert "Verwijzing komt niet aan" in email.subject
    assert "Aaltje Bosma" in email.body
    assert "Huisartsenpraktijk De Linde" in email.body
    assert "Kunnen jullie kijken?" in email.body
    assert email.attachments == []


@pytest.mark.parametrize(
    "came_from", ["https://evil.example/phish", "//evil.example/", "/does-not-exist/", ""]
)
def test_page_is_kept_only_when_it_is_a_page_of_this_site(client, assistant, committing, came_from):
    client.force_login(assistant)
    _ask(client, committing, {**QUESTION, "next": came_from})
    assert Ticket.objects.get().page == ""


def test_question_names_the_organisation_the_sender_works_for_now(client, gp, committing):
    from accounts.levels import Level
    from tests.factories import MembershipFactory

    second = OrganisationFactory(name="Huisartsenpraktijk Zonnedauw", agb_code="01077777")
    MembershipFactory(user=gp, organisation=second, level=Level.C)
    client.force_login(gp)
    client.post(reverse("network:organisation-switch"), {"organisation": second.pk})
    _ask(client, committing, QUESTION)
    assert Ticket.objects.get().organisation == second
    assert "Huisartsenpraktijk Zonnedauw" in mail.outbox[0].body


def test_html_mail_escapes_what_the_sender_typed(client, assistant, committing):
    client.force_login(assistant)
    _ask(client, committing, {"subject": "Test", "question": '<img src=x onerror="alert(1)">'})
    html = mail.outbox[0].alternatives[0][0]
    assert "<img" not in html
    assert "&lt;img" in html


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("notitie.png", b"just some text, not a picture" * 10),
            "Een schermafbeelding moet een afbeelding zijn (JPEG, PNG of WebP).",
        ),
        (
            SimpleUploadedFile(
                "brief.pdf",
                b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF",
            ),
            "Een schermafbeelding moet een afbeelding zijn (JPEG, PNG of WebP).",
        ),
    ],
)
def test_non_image_screenshot_is_refused_and_nothing_is_stored(
    client, assistant, committing, private_files, upload, message
):
    client.force_login(assistant)
    response = _ask(client, committing, {**QUESTION, "screenshot": upload})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Ticket.objects.exists()
    assert not TicketScreenshot.objects.exists()
    assert not any(private_files.rglob("*.*"))
    assert mail.outbox == []


def test_oversized_screenshot_is_refused_and_nothing_is_stored(
    client, assistant, committing, private_files, settings
):
    settings.ATTACHMENT_MAX_BYTES = 200
    client.force_login(assistant)
    response = _ask(client, committing, {**QUESTION, "screenshot": png((400, 400))})
    assert response.status_code == 422
    assert "is te groot" in response.content.decode()
    assert "Het mag maximaal 200" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not any(private_files.rglob("*.*"))
    assert mail.outbox == []


@pytest.mark.parametrize("missing", ["subject", "question"])
def test_empty_field_is_rejected_and_nothing_is_sent(client, assistant, committing, missing):
    client.force_login(assistant)
    response = _ask(client, committing, QUESTION | {missing: "  "})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [missing]
    assert mail.outbox == []
    assert not Ticket.objects.exists()


def test_contact_form_needs_login(client, committing):
    response = _ask(client, committing, QUESTION)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Ticket.objects.exists()


# --- The answer --------------------------------------------------------------------------------


def _answer_in_admin(client, ticket, answer, status="closed"):
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    return client.post(url, {"status": status, "answer": answer, "_save": "Opslaan"})


def test_helpdesk_answers_in_the_admin_and_the_asker_gets_it_once_and_sees_it(
    client, assistant, helpdesk, committing
):
    client.force_login(assistant)
    _ask(client, committing, QUESTION)
    ticket = Ticket.objects.get()
    mail.outbox.clear()

    client.force_login(helpdesk)
    changelist = client.get(reverse("admin:support_ticket_changelist"), {"status": "new"})
    assert "Verwijzing komt niet aan" in changelist.content.decode()
    with committing():
        response = _answer_in_admin(client, ticket, "De fysio heeft hem inmiddels ontvangen.")
    assert response.status_code == 302, response.content.decode()[:2000]
    # Saved again unchanged: no second e-mail.
    with committing():
        _answer_in_admin(client, ticket, "De fysio heeft hem inmiddels ontvangen.")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.answered_by == helpdesk
    assert ticket.answered_at is not None
    assert ticket.answer_mailed_at is not None
    [email] = mail.outbox
    assert email.to == [assistant.email]
    assert "De fysio heeft hem inmiddels ontvangen." in email.body
    assert reverse("support:ticket-detail", kwargs={"pk": ticket.pk}) in email.body
    # A retried task sends nothing again.
    assert ticket_answer_mail(ticket_id=ticket.pk) is False
    assert len(mail.outbox) == 1

    client.force_login(assistant)
    listing = client.get(reverse("support:ticket-list")).content.decode()
    assert "Verwijzing komt niet aan" in listing
    detail = client.get(reverse("support:ticket-detail", kwargs={"pk": ticket.pk}))
    assert "De fysio heeft hem inmiddels ontvangen." in detail.content.decode()


def test_a_changed_answer_is_mailed_again(client, assistant, helpdesk, committing):
    client.force_login(assistant)
    _ask(client, committing, QUESTION)
    ticket = Ticket.objects.get()
    mail.outbox.clear()
    client.force_login(helpdesk)
    with committing():
        _answer_in_admin(client, ticket, "Eerste antwoord.", status="in_progress")
    with committing():
        _answer_in_admin(client, ticket, "Tweede, beter antwoord.")
    assert [("Tweede" in m.body) for m in mail.outbox] == [False, True]


def test_another_user_gets_a_404_for_my_ticket(client, assistant, nurse, committing):
    client.force_login(assistant)
    _ask(client, committing, QUESTION)
    ticket = Ticket.objects.get()
    client.force_login(nurse)
    response = client.get(reverse("support:ticket-detail", kwargs={"pk": ticket.pk}))
    assert response.status_code == 404
    assert (
        "Verwijzing komt niet aan"
        not in client.get(reverse("support:ticket-list")).content.decode()
    )


def test_helpdesk_group_may_view_and_change_tickets(helpdesk):
    assert helpdesk.has_perm("support.view_ticket")
    assert helpdesk.has_perm("support.change_ticket")
    assert not helpdesk.has_perm("support.delete_ticket")


@pytest.mark.parametrize("count", [10, 100])
def test_my_questions_takes_the_same_queries_for_10_and_100_tickets(
    client, assistant, count, django_assert_max_num_queries
):
    Ticket.objects.bulk_create(
        Ticket(user=assistant, subject=f"Vraag {n}", question="?") for n in range(count)
    )
    client.force_login(assistant)
    # Session, user, memberships, middleware, the count and one page of tickets.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("support:ticket-list"))
    assert response.status_code == 200


def test_helpdesk_opens_the_screenshot_from_the_admin_and_the_asker_cannot(
    client, assistant, helpdesk, committing, private_files
):
    client.force_login(assistant)
    _ask(client, committing, {**QUESTION, "screenshot": png()})
    ticket = Ticket.objects.get()
    url = reverse("admin:support_ticket_screenshot", args=[ticket.pk])
    assert client.get(url).status_code == 302  # to the admin login, which refuses non-staff

    client.force_login(helpdesk)
    change = client.get(reverse("admin:support_ticket_change", args=[ticket.pk]))
    assert url in change.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:4] == b"\x89PNG"
