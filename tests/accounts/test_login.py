"""Logging in with e-mail and password: the Dutch login page, errors, closed sign-up, rate limit."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _logged_in_as(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


def test_login_page_is_dutch_and_offers_no_sign_up(client):
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="nl">' in html
    # Field labels and the reset link come from allauth's Dutch catalog.
    assert "E-mailadres" in html
    assert "Wachtwoord" in html
    assert "Wachtwoord vergeten?" in html
    assert f'href="{reverse("account_reset_password")}"' in html
    assert reverse("account_signup") not in html
    assert "Registreren" not in html


def test_assistant_logs_in_with_password_and_sees_own_organisation(client, assistant):
    response = _log_in(client, "assistent@delinde.nl")

    # No patient-data access, so no second factor is asked for.
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _logged_in_as(client, assistant)
    start = client.get(reverse("home"))
    assert start.status_code == 200
    assert "Huisartsenpraktijk De Linde" in start.content.decode()
    assert "Aaltje" in start.content.decode()


def test_wrong_password_shows_dutch_error_and_does_not_log_in(client, assistant):
    response = _log_in(client, "assistent@delinde.nl", password="Verkeerd-wachtwoord-1")

    assert response.status_code == 200
    assert "Het door jou opgegeven e-mailadres en/of wachtwoord is niet correct." in (
        response.content.decode()
    )
    assert not _logged_in_as(client, assistant)
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))


def test_unknown_email_gets_the_same_error_as_a_wrong_password(client, assistant):
    response = _log_in(client, "niemand@delinde.nl")

    assert response.status_code == 200
    assert "Het door jou opgegeven e-mailadres en/of wachtwoord is niet correct." in (
        response.content.decode()
    )
    assert SESSION_KEY not in client.session


def test_email_address_is_case_insensitive_at_login(client, assistant):
    response = _log_in(client, "  Assistent@DeLinde.NL ")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _logged_in_as(client, assistant)


def test_inactive_user_cannot_log_in(client, assistant):
    assistant.is_active = False
    assistant.save()

    response = _log_in(client, "assistent@delinde.nl")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")
    assert SESSION_KEY not in client.session
    assert "Deze account is inactief." in client.get(response["Location"]).content.decode()
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))


def test_sign_up_is_closed_and_creates_no_account(client, db):
    users_before = User.objects.count()

    page = client.get(reverse("account_signup"))
    posted = client.post(
        reverse("account_signup"),
        {
            "email": "nieuw@example.nl",
            "password1": "Een-lang-nieuw-wachtwoord-7",
            "password2": "Een-lang-nieuw-wachtwoord-7",
        },
    )

    assert "Registratie gesloten" in page.content.decode()
    assert "Registratie gesloten" in posted.content.decode()
    assert not User.objects.filter(email="nieuw@example.nl").exists()
    assert User.objects.count() == users_before
    assert SESSION_KEY not in client.session


def test_after_five_failed_attempts_even_the_right_password_is_refused(client, assistant):
    # ACCOUNT_RATE_LIMITS["login_failed"] allows 5 failures per 5 minutes per account.
    for attempt in range(5):
        response = _log_in(client, "assistent@delinde.nl", password=f"Fout-wachtwoord-{attempt}")
        assert response.status_code == 200

    response = _log_in(client, "assistent@delinde.nl")

    assert response.status_code == 200
    assert "Te veel inlogpogingen. Probeer het later nogmaals." in response.content.decode()
    assert not _logged_in_as(client, assistant)


def test_failed_attempts_for_one_account_do_not_lock_out_another(client, assistant, manager):
    for attempt in range(5):
        _log_in(client, "assistent@delinde.nl", password=f"Fout-wachtwoord-{attempt}")

    response = _log_in(client, "manager@delinde.nl")

    assert response.status_code == 302
    assert _logged_in_as(client, manager)


def test_rate_limit_counts_the_account_whatever_the_capitals(client, assistant):
    for attempt in range(5):
        _log_in(client, "ASSISTENT@delinde.nl", password=f"Fout-wachtwoord-{attempt}")

    response = _log_in(client, "assistent@delinde.nl")

    assert "Te veel inlogpogingen" in response.content.decode()
    assert not _logged_in_as(client, assistant)


def test_admin_login_goes_through_the_allauth_login(client, db):
    response = client.get("/admin/login/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_helpdesk_reaches_admin_only_after_password_and_totp(client, helpdesk, login_with_totp):
    before = client.get(reverse("admin:index"), follow=True)
    assert before.redirect_chain[-1][0].startswith(reverse("account_login") + "?next=")

    login_with_totp(helpdesk)
    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Regiozorg helpdesk" in html  # the admin site header
    assert "Welkom," in html  # Django admin's Dutch greeting for the logged-in user
