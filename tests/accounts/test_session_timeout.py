"""Session timeouts (idle and absolute) and the secure session (beveiligde sessie) guard."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django_htmx.middleware import HtmxDetails

from accounts.secure_session import secure_session_active, secure_session_required
from tests.conftest import totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
PATIENT_PATH = "/patienten/42/dossier/?tab=medicatie"


@secure_session_required
def patient_record(request):
    """Stands in for a patient-data view until the first real one uses the guard."""
    return HttpResponse("Dossier van mevrouw De Vries")


@pytest.fixture(autouse=True)
def frozen(time_machine):
    """Stop the clock at now (tests move it on with ``shift``); TOTP codes stay valid."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def _log_in_with_password(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    return client


def _logged_in(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


def _work(client, frozen, *, every: datetime.timedelta, for_: datetime.timedelta):
    """The user clicks around: a page every ``every`` for ``for_`` in total."""
    elapsed = datetime.timedelta(0)
    while elapsed + every <= for_:
        frozen.shift(every)
        elapsed += every
        response = client.get(reverse("home"))
        assert response.status_code == 200, f"logged out after {elapsed}"


def _info_messages_on(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == messages.INFO]


# --- Idle timeout -------------------------------------------------------------------------


def test_idle_for_more_than_thirty_minutes_logs_out_with_a_message(client, assistant, frozen):
    _log_in_with_password(client, assistant)
    frozen.shift(31 * MINUTE)

    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("account_login"))
    assert not _logged_in(client, assistant)
    [shown] = _info_messages_on(response)
    # "You have been logged out after 30 minutes without activity." (Dutch via locale/nl)
    assert "30" in shown
    assert shown in response.content.decode()


def test_idle_just_under_thirty_minutes_keeps_the_session(client, assistant, frozen):
    _log_in_with_password(client, assistant)
    frozen.shift(29 * MINUTE)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert _logged_in(client, assistant)


def test_activity_every_twenty_minutes_keeps_the_session_past_thirty_minutes(
    client, assistant, frozen
):
    _log_in_with_password(client, assistant)

    _work(client, frozen, every=20 * MINUTE, for_=100 * MINUTE)

    assert _logged_in(client, assistant)
    assert "Huisartsenpraktijk De Linde" in client.get(reverse("home")).content.decode()


def test_absolute_lifetime_ends_the_session_despite_constant_activity(client, assistant, frozen):
    _log_in_with_password(client, assistant)
    _work(client, frozen, every=20 * MINUTE, for_=datetime.timedelta(hours=12))
    assert _logged_in(client, assistant)

    frozen.shift(20 * MINUTE)
    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("account_login"))
    assert not _logged_in(client, assistant)
    [shown] = _info_messages_on(response)
    # "Your session has ended; please log in again." (Dutch via locale/nl)
    assert shown in response.content.decode()
    assert "30" not in shown  # not the idle message


def test_idle_timeout_is_configurable(client, assistant, frozen, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    _log_in_with_password(client, assistant)
    _work(client, frozen, every=4 * MINUTE, for_=12 * MINUTE)
    assert _logged_in(client, assistant)

    frozen.shift(6 * MINUTE)
    response = client.get(reverse("home"), follow=True)

    assert not _logged_in(client, assistant)
    [shown] = _info_messages_on(response)
    assert " 5 " in shown


def test_absolute_lifetime_is_configurable(client, assistant, frozen, settings):
    settings.SESSION_ABSOLUTE_LIFETIME = 3600
    _log_in_with_password(client, assistant)
    _work(client, frozen, every=20 * MINUTE, for_=60 * MINUTE)
    assert _logged_in(client, assistant)

    frozen.shift(10 * MINUTE)
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not _logged_in(client, assistant)


def test_logging_in_again_after_a_timeout_starts_a_fresh_session(client, assistant, frozen):
    _log_in_with_password(client, assistant)
    frozen.shift(31 * MINUTE)
    client.get(reverse("home"))
    assert not _logged_in(client, assistant)

    _log_in_with_password(client, assistant)
    frozen.shift(10 * MINUTE)

    assert client.get(reverse("home")).status_code == 200


# --- Secure session guard -----------------------------------------------------------------


def _request(rf, client, user, *, htmx=False):
    """A request for PATIENT_PATH carrying the test client's real session."""
    headers = {"HX-Request": "true"} if htmx else {}
    request = rf.get(PATIENT_PATH, headers=headers)
    request.user = user
    request.session = client.session
    request._messages = FallbackStorage(request)
    if htmx:
        request.htmx = HtmxDetails(request)
    return request


def _reauthenticate_url() -> str:
    return f"{reverse('mfa_reauthenticate')}?{urlencode({'next': PATIENT_PATH})}"


def test_secure_session_is_active_after_login_with_totp(rf, client, gp, login_with_totp):
    login_with_totp(gp)
    request = _request(rf, client, gp)

    response = patient_record(request)

    assert secure_session_active(request)
    assert response.status_code == 200
    assert response.content.decode() == "Dossier van mevrouw De Vries"


def test_secure_session_expires_and_the_guard_asks_for_the_second_factor(
    rf, client, gp, login_with_totp, frozen, settings
):
    lifetime = datetime.timedelta(seconds=settings.SECURE_SESSION_TIMEOUT)
    login_with_totp(gp)
    # Active work, so the idle timeout does not end the session first.
    _work(client, frozen, every=20 * MINUTE, for_=lifetime - 20 * MINUTE)
    assert patient_record(_request(rf, client, gp)).status_code == 200
    _work(client, frozen, every=20 * MINUTE, for_=20 * MINUTE)
    frozen.shift(MINUTE)
    request = _request(rf, client, gp)

    response = patient_record(request)

    assert _logged_in(client, gp)
    assert not secure_session_active(request)
    assert response.status_code == 302
    assert response["Location"] == _reauthenticate_url()


def test_secure_session_timeout_is_configurable(rf, client, gp, login_with_totp, frozen, settings):
    settings.SECURE_SESSION_TIMEOUT = 10 * 60
    login_with_totp(gp)

    frozen.shift(9 * MINUTE)
    assert patient_record(_request(rf, client, gp)).status_code == 200
    frozen.shift(2 * MINUTE)
    assert patient_record(_request(rf, client, gp))["Location"] == _reauthenticate_url()


def test_profile_page_shows_the_secure_session_only_while_it_lasts(
    client, gp, login_with_totp, frozen, settings
):
    settings.SECURE_SESSION_TIMEOUT = 10 * 60
    login_with_totp(gp)
    # The badge "Beveiligde sessie actief" is on the profile page (the start page is the
    # day's work since issue 15).
    assert "Beveiligde sessie actief" in client.get(reverse("accounts:profile")).content.decode()

    frozen.shift(11 * MINUTE)

    assert (
        "Beveiligde sessie actief" not in client.get(reverse("accounts:profile")).content.decode()
    )


def test_guard_sends_a_user_without_authenticator_to_totp_setup(rf, client, assistant):
    _log_in_with_password(client, assistant)
    request = _request(rf, client, assistant)

    response = patient_record(request)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_guard_sends_an_anonymous_visitor_to_the_login(rf, client, db):
    request = _request(rf, client, AnonymousUser())

    response = patient_record(request)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query) == {"next": [PATIENT_PATH]}


def test_guard_answers_htmx_with_an_hx_redirect(rf, client, gp, login_with_totp, settings, frozen):
    settings.SECURE_SESSION_TIMEOUT = 10 * 60
    login_with_totp(gp)
    frozen.shift(11 * MINUTE)

    response = patient_record(_request(rf, client, gp, htmx=True))

    assert response.status_code < 300
    assert response["HX-Redirect"] == _reauthenticate_url()


def test_fresh_totp_code_restarts_the_secure_session_and_returns_to_the_page(
    rf, client, gp, login_with_totp, totp_secret, frozen, settings
):
    settings.SECURE_SESSION_TIMEOUT = 10 * 60
    login_with_totp(gp)
    frozen.shift(11 * MINUTE)
    redirect_to = patient_record(_request(rf, client, gp))["Location"]
    assert redirect_to == _reauthenticate_url()

    page = client.get(redirect_to)
    assert page.status_code == 200
    assert "Toegang bevestigen" in page.content.decode()
    response = client.post(redirect_to, {"code": totp_code(totp_secret[gp.pk])})

    assert response.status_code == 302
    assert response["Location"] == PATIENT_PATH
    request = _request(rf, client, gp)
    assert secure_session_active(request)
    assert patient_record(request).status_code == 200


def test_wrong_code_at_reauthentication_keeps_the_secure_session_closed(
    rf, client, gp, login_with_totp, totp_secret, frozen, settings
):
    settings.SECURE_SESSION_TIMEOUT = 10 * 60
    login_with_totp(gp)
    frozen.shift(11 * MINUTE)
    right = totp_code(totp_secret[gp.pk])

    response = client.post(_reauthenticate_url(), {"code": f"{(int(right) + 1) % 1_000_000:06d}"})

    assert response.status_code == 200
    assert "Ongeldige code." in response.content.decode()
    assert not secure_session_active(_request(rf, client, gp))
