"""Password reset by e-mail, sent in Dutch by the Celery task after commit."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nieuwe-fiets-lantaarn-2024"


@pytest.fixture
def request_reset(client, django_capture_on_commit_callbacks):
    """POST the reset form; runs the on-commit hooks so the e-mail task actually sends."""

    def _request(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("account_reset_password"), {"email": email})

    return _request


def _reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_request_sends_one_dutch_email_with_a_link(request_reset, assistant):
    response = request_reset("assistent@delinde.nl")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["assistent@delinde.nl"]
    # Subject and body from allauth's Dutch catalog.
    assert "Nieuw wachtwoord" in message.subject
    assert "Je ontvangt deze mail omdat er een verzoek is ingelegd" in message.body
    # The site greeting names the host the user asked from (the test client's "testserver").
    assert "Hallo van Regiozorg!" in message.body
    assert _reset_link(message)


def test_reset_email_is_queued_until_the_transaction_commits(
    client, assistant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("account_reset_password"), {"email": "assistent@delinde.nl"})
        assert mail.outbox == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_reset_link_sets_a_new_password_that_logs_in(client, request_reset, assistant):
    request_reset("assistent@delinde.nl")
    link = _reset_link(mail.outbox[0])

    # allauth moves the key into the session and redirects to a key-less URL.
    page = client.get(link, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    assert SESSION_KEY not in client.session
    old = client.post(reverse("account_login"), {"login": assistant.email, "password": PASSWORD})
    assert old.status_code == 200
    assert SESSION_KEY not in client.session
    new = client.post(
        reverse("account_login"), {"login": assistant.email, "password": NEW_PASSWORD}
    )
    assert new.status_code == 302
    assert client.session[SESSION_KEY] == str(assistant.pk)


def test_reset_link_works_only_once(client, request_reset, assistant):
    request_reset("assistent@delinde.nl")
    link = _reset_link(mail.outbox[0])
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(link, follow=True)

    # allauth's "bad key" page.
    assert "Ongeldige sleutel" in again.content.decode()
    assert "Mogelijk is deze al een keer gebruikt." in again.content.decode()
    assistant.refresh_from_db()
    assert assistant.check_password(NEW_PASSWORD)


def test_weak_new_password_is_refused(client, request_reset, assistant):
    request_reset("assistent@delinde.nl")
    form_url = client.get(_reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]

    response = client.post(form_url, {"password1": "120456789012", "password2": "120456789012"})

    assert response.status_code == 200
    # Django's Dutch password-validator message.
    assert "Dit wachtwoord bevat alleen cijfers." in response.content.decode()
    assistant.refresh_from_db()
    assert assistant.check_password(PASSWORD)


def test_unknown_email_gets_the_same_page_and_no_reset_mail(client, request_reset, assistant):
    known = request_reset("assistent@delinde.nl")
    mail.outbox.clear()

    unknown = request_reset("onbekend@delinde.nl")

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert [m for m in mail.outbox if "onbekend@delinde.nl" in m.to] == []


def test_reset_for_a_user_with_totp_still_asks_for_the_code_at_login(client, request_reset, gp):
    request_reset("gp@delinde.nl")
    form_url = client.get(_reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = client.post(
        reverse("account_login"), {"login": "gp@delinde.nl", "password": NEW_PASSWORD}
    )

    assert response["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session
