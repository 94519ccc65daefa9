"""A question to the care group's helpdesk through the contact form."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.levels import Level
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

QUESTION = {
    "subject": "Verwijzing komt niet aan",
    "message": "Mijn verwijzing naar de fysio staat nog op verzonden.\nKunnen jullie kijken?",
}


def _send(client, data, capture):
    with capture(execute=True):
        return client.post(reverse("accounts:support"), data)


def test_contact_page_shows_the_form(client, assistant):
    client.force_login(assistant)
    response = client.get(reverse("accounts:support"))
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {"subject", "message"}


def test_question_is_mailed_to_the_helpdesk_with_reply_to_the_sender(
    client, assistant, django_capture_on_commit_callbacks
):
    client.force_login(assistant)
    response = _send(client, QUESTION, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [settings.SUPPORT_EMAIL]
    assert email.reply_to == [assistant.email]
    assert "Verwijzing komt niet aan" in email.subject
    # Who asks and from where, in the plain text and in the HTML part.
    assert "Aaltje Bosma" in email.body
    assert "Huisartsenpraktijk De Linde" in email.body
    assert "01012345" in email.body
    assert "Mijn verwijzing naar de fysio staat nog op verzonden." in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Huisartsenpraktijk De Linde" in html
    assert "Kunnen jullie kijken?" in html


def test_question_names_the_organisation_the_sender_works_for_now(
    client, gp, django_capture_on_commit_callbacks
):
    second = OrganisationFactory(name="Huisartsenpraktijk Zonnedauw", agb_code="01077777")
    MembershipFactory(user=gp, organisation=second, level=Level.C)
    client.force_login(gp)
    client.post(reverse("network:organisation-switch"), {"organisation": second.pk})
    _send(client, QUESTION, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert "Huisartsenpraktijk Zonnedauw" in mail.outbox[0].body
    assert "Huisartsenpraktijk De Linde" not in mail.outbox[0].body


def test_html_part_escapes_what_the_sender_typed(
    client, assistant, django_capture_on_commit_callbacks
):
    client.force_login(assistant)
    _send(
        client,
        {"subject": "Test", "message": '<img src=x onerror="alert(1)">'},
        django_capture_on_commit_callbacks,
    )
    html = mail.outbox[0].alternatives[0][0]
    assert "<img" not in html
    assert "&lt;img" in html


@pytest.mark.parametrize("missing", ["subject", "message"])
def test_empty_field_is_rejected_and_nothing_is_sent(
    client, assistant, missing, django_capture_on_commit_callbacks
):
    client.force_login(assistant)
    response = _send(client, QUESTION | {missing: "  "}, django_capture_on_commit_callbacks)
    assert response.status_code == 422
    form = response.context["form"]
    assert form.has_error(missing, code="required")
    assert list(form.errors) == [missing]
    assert mail.outbox == []


def test_empty_form_is_rejected_on_both_fields(
    client, assistant, django_capture_on_commit_callbacks
):
    client.force_login(assistant)
    response = _send(client, {}, django_capture_on_commit_callbacks)
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"subject", "message"}
    assert mail.outbox == []


def test_contact_form_needs_login(client, django_capture_on_commit_callbacks):
    response = _send(client, QUESTION, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert mail.outbox == []
