"""The second factor: TOTP at login, recovery codes, and who is forced to set one up."""

from __future__ import annotations

import datetime
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext

from accounts.models import Membership
from tests.conftest import totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _password_step(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def _log_in_with_password(client, user):
    """Password only: for users who have no authenticator (yet)."""
    response = _password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    return client


def _logged_in_as(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    """Stop the clock, so a TOTP code computed here is checked in the same 30-second window."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def gp_without_totp(gp):
    """A GP with patient-data access who has not set up an authenticator app yet."""
    Authenticator.objects.filter(user=gp).delete()
    return gp


@pytest.fixture
def helpdesk_without_totp(helpdesk):
    Authenticator.objects.filter(user=helpdesk).delete()
    return helpdesk


def _dutch(msgid: str) -> str:
    """Dutch for an allauth msgid that our own catalog re-words (it overrides allauth's)."""
    with translation.override("nl"):
        text = gettext(msgid)
    assert text != msgid, f"no Dutch for {msgid!r}"
    return text


def _secret_from_activation_page(html: str) -> str:
    match = re.search(r'id="authenticator_secret" value="([A-Z2-7=]+)"', html)
    assert match, "the activation page shows the secret to type into the app"
    return match.group(1)


# --- TOTP at login ------------------------------------------------------------------------


def test_gp_is_asked_for_the_code_after_the_password(client, gp):
    response = _password_step(client, gp)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone does not log in.
    assert not _logged_in_as(client, gp)
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))


def test_wrong_totp_code_is_refused(client, gp, totp_secret):
    _password_step(client, gp)
    right = totp_code(totp_secret[gp.pk])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert "Ongeldige code." in response.content.decode()
    assert not _logged_in_as(client, gp)


def test_right_totp_code_logs_in_and_opens_the_start_page(client, gp, totp_secret):
    _password_step(client, gp)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret[gp.pk])})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _logged_in_as(client, gp)
    start = client.get(reverse("home"))
    assert start.status_code == 200
    assert "Huisartsenpraktijk De Linde" in start.content.decode()


def test_totp_code_cannot_be_replayed_for_a_second_login(client, gp, totp_secret):
    code = totp_code(totp_secret[gp.pk])
    _password_step(client, gp)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert _logged_in_as(client, gp)
    client.post(reverse("account_logout"))

    _password_step(client, gp)
    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert "Ongeldige code." in response.content.decode()
    assert not _logged_in_as(client, gp)


# --- Recovery codes -----------------------------------------------------------------------


def test_recovery_code_logs_in_once_and_not_twice(client, gp):
    codes = RecoveryCodes.activate(gp).get_unused_codes()
    code = codes[0]

    _password_step(client, gp)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert _logged_in_as(client, gp)
    client.post(reverse("account_logout"))
    assert not _logged_in_as(client, gp)

    _password_step(client, gp)
    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert "Ongeldige code." in response.content.decode()
    assert not _logged_in_as(client, gp)
    recovery = Authenticator.objects.get(user=gp, type=Authenticator.Type.RECOVERY_CODES)
    assert code not in recovery.wrap().get_unused_codes()
    # Another, unused recovery code still works.
    response = client.post(reverse("mfa_authenticate"), {"code": codes[1]})
    assert response.status_code == 302
    assert _logged_in_as(client, gp)


# --- Enforcement: who must set up a second factor -----------------------------------------


@pytest.mark.parametrize("url_name", ["home", "accounts:profile", "accounts:colleague-search"])
def test_user_with_patient_data_access_and_no_authenticator_is_sent_to_totp_setup(
    client, gp_without_totp, url_name
):
    _log_in_with_password(client, gp_without_totp)

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_totp_setup_page_itself_opens_for_a_forced_user(client, gp_without_totp):
    _log_in_with_password(client, gp_without_totp)

    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain == [(reverse("mfa_activate_totp"), 302)]
    assert response.status_code == 200
    html = response.content.decode()
    assert _dutch("Activate Authenticator App") in html
    # The warning "Patient data needs a second factor…" is shown here (Dutch once in locale/nl).
    assert "alert-warning" in html


def test_forced_user_can_still_log_out_and_reach_the_helpdesk(client, gp_without_totp):
    _log_in_with_password(client, gp_without_totp)

    assert client.get(reverse("support:ticket-create")).status_code == 200
    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert not _logged_in_as(client, gp_without_totp)


def test_activating_totp_through_the_form_opens_the_start_page(client, gp_without_totp):
    _log_in_with_password(client, gp_without_totp)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = _secret_from_activation_page(page.content.decode())

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    # allauth shows the freshly generated recovery codes next.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert _dutch("Recovery Codes") in client.get(response["Location"]).content.decode()
    assert Authenticator.objects.filter(user=gp_without_totp, type=Authenticator.Type.TOTP).exists()
    start = client.get(reverse("home"))
    assert start.status_code == 200
    assert "Huisartsenpraktijk De Linde" in start.content.decode()


def test_activation_with_a_wrong_code_keeps_the_user_forced(client, gp_without_totp):
    _log_in_with_password(client, gp_without_totp)
    secret = _secret_from_activation_page(client.get(reverse("mfa_activate_totp")).content.decode())
    right = totp_code(secret)

    response = client.post(
        reverse("mfa_activate_totp"), {"code": f"{(int(right) + 1) % 1_000_000:06d}"}
    )

    assert response.status_code == 200
    assert "Ongeldige code." in response.content.decode()
    assert not Authenticator.objects.filter(user=gp_without_totp).exists()
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")


def test_assistant_without_patient_data_access_is_not_forced(client, assistant):
    _log_in_with_password(client, assistant)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Huisartsenpraktijk De Linde" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_helpdesk_staff_without_authenticator_is_forced_also_in_the_admin(
    client, helpdesk_without_totp
):
    _log_in_with_password(client, helpdesk_without_totp)

    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_activate_totp")


def test_demo_account_with_access_is_not_forced_while_demo_mfa_is_off(
    client, gp_without_totp, settings
):
    settings.DEMO_ACCOUNTS_REQUIRE_MFA = False
    gp_without_totp.is_demo_account = True
    gp_without_totp.save()
    _log_in_with_password(client, gp_without_totp)

    response = client.get(reverse("home"))

    assert response.status_code == 200


def test_demo_account_with_access_is_forced_when_demo_mfa_is_on(client, gp_without_totp, settings):
    settings.DEMO_ACCOUNTS_REQUIRE_MFA = True
    gp_without_totp.is_demo_account = True
    gp_without_totp.save()
    _log_in_with_password(client, gp_without_totp)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_revoking_patient_data_access_stops_the_forcing_at_the_next_request(
    client, gp_without_totp
):
    _log_in_with_password(client, gp_without_totp)
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")

    Membership.objects.filter(user=gp_without_totp).update(has_patient_data_access=False)

    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Huisartsenpraktijk De Linde" in response.content.decode()


def test_granting_patient_data_access_starts_the_forcing_at_the_next_request(client, assistant):
    _log_in_with_password(client, assistant)
    assert client.get(reverse("home")).status_code == 200

    Membership.objects.filter(user=assistant).update(has_patient_data_access=True)

    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")


def test_htmx_request_of_a_forced_user_gets_an_hx_redirect(client, gp_without_totp):
    _log_in_with_password(client, gp_without_totp)

    response = client.get(reverse("accounts:colleague-search"), headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == reverse("mfa_activate_totp")
    # Not a 3xx: the browser would follow that silently and htmx would never see the header.
    assert response.status_code < 300


# --- Re-authentication when setting up TOTP -----------------------------------------------


def test_totp_setup_right_after_login_does_not_ask_for_the_password_again(client, gp_without_totp):
    _log_in_with_password(client, gp_without_totp)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 200
    assert _dutch("Activate Authenticator App") in response.content.decode()


def test_totp_setup_asks_for_the_password_once_the_reauthentication_window_passed(
    client, gp_without_totp, settings, frozen
):
    _log_in_with_password(client, gp_without_totp)
    frozen.shift(datetime.timedelta(seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1))

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('account_reauthenticate')}?{urlencode({'next': reverse('mfa_activate_totp')})}"
    )
    # Entering the password again leads back to the set-up page.
    response = client.post(
        response["Location"], {"password": PASSWORD, "next": reverse("mfa_activate_totp")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
