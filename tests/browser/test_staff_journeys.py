"""Staff-management journeys (issue 3) in a real Chromium, against the live server.

A level-A GP requests an account, the helpdesk approves it in the admin and the new colleague
follows the link from the e-mail; a lead provider invites a colleague of their own organisation.
The browser asks for English (locale en-US) on purpose: the product must still speak Dutch.
Elements whose names come from the staff-management strings are found by id, href or CSS
rather than by their (still being translated) text.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from accounts.levels import Role
from accounts.models import AccountRequest, Invitation
from tests.factories import PASSWORD
from tests.totp import totp_now

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Paarse-olifant-fietst-77"
INVITATION_PATH = re.compile(r"/uitnodiging/[\w-]+/")
STAFF_LIST = "/praktijkinstellingen/medewerkers/"
ACCOUNT_REQUEST = "/praktijkinstellingen/medewerkers/aanvragen/"
INVITATIONS = "/uitnodigingen/"
INVITATION_NEW = "/uitnodigingen/nieuw/"


def log_in(page, email, password, *, start="/"):
    page.goto(start)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()


def log_in_with_totp(page, email, secret, *, password=PASSWORD, start="/"):
    log_in(page, email, password, start=start)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#id_code").fill(totp_now(secret))
    page.locator("#main form button[type=submit]").first.click()


def log_out(page):
    page.locator("details.user-menu summary").click()
    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def dutch(text) -> str:
    """``text`` as the app shows it in Dutch (its strings are still being translated)."""
    with translation.override("nl"):
        return str(translation.gettext(text) if isinstance(text, str) else text)


def main_menu(page):
    return page.get_by_role("navigation", name="Hoofdmenu")


def invitation_path_from_outbox(email: str) -> str:
    """The /uitnodiging/<token>/ link from the one invitation e-mail sent to ``email``."""
    sent = [message for message in mail.outbox if message.to == [email]]
    assert len(sent) == 1, [(m.to, m.subject) for m in mail.outbox]
    message = sent[0]
    match = INVITATION_PATH.search(message.body)
    assert match, message.body
    html = message.alternatives[0][0]
    assert match.group(0) in html
    return match.group(0)


def accept_invitation_and_set_up_totp(page, path, *, first_name, last_name, assert_accessible):
    """Open the link, choose names and a password, then activate an authenticator app.

    Returns the TOTP secret.
    """
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#id_password1")).to_be_visible()
    assert_accessible(page)
    page.locator("#id_first_name").fill(first_name)
    page.locator("#id_last_name").fill(last_name)
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.locator("#main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("#id_code").fill(totp_now(secret))
    page.locator("#main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    return secret


def test_level_a_requests_an_account_helpdesk_approves_and_the_invitee_sets_password_and_totp(
    page, other_computer, gp, helpdesk, totp_secret, assert_accessible
):
    # The GP opens Praktijkinstellingen → Medewerkersbeheer from the navigation.
    log_in_with_totp(page, gp.email, totp_secret[gp.pk])
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Gerrit")
    main_menu(page).get_by_role("link", name="Praktijkinstellingen").click()
    expect(page).to_have_url(re.compile(STAFF_LIST + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#main table")).to_contain_text("gp@delinde.nl")
    assert_accessible(page)

    # … and requests an account for a new colleague with the seed's form.
    page.locator(f'#main a[href="{ACCOUNT_REQUEST}"]').click()
    expect(page).to_have_url(re.compile(ACCOUNT_REQUEST + "$"))
    assert_accessible(page)
    page.locator("#id_initials").fill("S.")
    page.locator("#id_infix").fill("de")
    page.locator("#id_last_name").fill("Vries")
    page.locator("#id_agb_code").fill("01098765")
    page.locator("#id_email").fill("s.devries@delinde.nl")
    page.locator("#id_mobile").fill("06 12345678")
    page.locator("#id_level").select_option("C")
    page.locator("#id_remarks").fill("Begint op 1 maart als praktijkondersteuner")
    page.locator("#main form button[type=submit]").click()

    # Back on the staff list, the request waits for the helpdesk.
    expect(page).to_have_url(re.compile(STAFF_LIST + "$"))
    waiting = page.locator("section[aria-labelledby=requests-heading]")
    expect(waiting).to_contain_text("S. de Vries")
    expect(waiting).to_contain_text("s.devries@delinde.nl")
    account_request = AccountRequest.objects.get(email="s.devries@delinde.nl")
    assert account_request.status == AccountRequest.Status.PENDING
    assert (account_request.agb_code, account_request.mobile, account_request.level) == (
        "01098765",
        "06 12345678",
        "C",
    )
    assert mail.outbox == []

    # The helpdesk, at another computer, approves the request in the admin.
    desk = other_computer()
    log_in_with_totp(
        desk, helpdesk.email, totp_secret[helpdesk.pk], start="/admin/accounts/accountrequest/"
    )
    expect(desk).to_have_url(re.compile(r"/admin/accounts/accountrequest/$"))
    expect(desk.locator("html")).to_have_attribute("lang", "nl")
    desk.locator("#result_list tr", has_text="s.devries@delinde.nl").locator("th a").click()
    expect(desk).to_have_url(
        re.compile(rf"/admin/accounts/accountrequest/{account_request.pk}/change/$")
    )
    expect(desk.locator("#content")).to_contain_text("Begint op 1 maart als praktijkondersteuner")
    desk.locator("button[form=approve-form]").click()
    expect(desk).to_have_url(re.compile(r"/admin/accounts/accountrequest/$"))
    expect(desk.locator(".messagelist .success")).to_be_visible()
    account_request.refresh_from_db()
    assert account_request.status == AccountRequest.Status.APPROVED
    assert account_request.decided_by == helpdesk

    # The GP sees the colleague as invited, no longer as a waiting request.
    page.reload()
    expect(waiting).not_to_contain_text("s.devries@delinde.nl")
    invited = page.locator("#main tbody tr", has_text="s.devries@delinde.nl")
    expect(invited).to_contain_text(dutch("Invited"))
    assert page.console_errors == []

    # The invitee opens the link from the e-mail at yet another computer.
    link = invitation_path_from_outbox("s.devries@delinde.nl")
    invitee = other_computer()
    secret = accept_invitation_and_set_up_totp(
        invitee, link, first_name="Sjoukje", last_name="Vries", assert_accessible=assert_accessible
    )
    invitee.goto("/")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Welkom, Sjoukje")
    expect(invitee.locator("#main")).to_contain_text("Huisartsenpraktijk De Linde")
    log_out(invitee)

    # A TOTP code cannot be used twice: log in again in the next 30-second window.
    with time_machine.travel(datetime.timedelta(seconds=31), tick=True):
        log_in_with_totp(invitee, "s.devries@delinde.nl", secret, password=NEW_PASSWORD)
        expect(invitee.get_by_role("heading", level=1)).to_have_text("Welkom, Sjoukje")
        expect(invitee.locator("#main")).to_contain_text("Huisartsenpraktijk De Linde")
        # The start page is the day's work; the level is on the profile page, one click on.
        invitee.get_by_role("link", name="Profiel en organisatie").click()
        expect(invitee.locator("#main")).to_contain_text("Level C")

    # The link from the e-mail works once.
    invitation = Invitation.objects.get(email="s.devries@delinde.nl")
    assert invitation.status == Invitation.Status.ACCEPTED
    invitee.goto(link)
    expect(invitee.locator("#main")).to_contain_text(
        dutch("This invitation has already been used. Log in with your e-mail address.")
    )
    expect(invitee.locator("#id_password1")).to_have_count(0)

    # The GP now sees an active colleague, with the level asked for.
    page.reload()
    colleague = page.locator("#main tbody tr", has_text="s.devries@delinde.nl")
    expect(colleague).to_contain_text("Sjoukje de Vries")
    expect(colleague.locator("td").first).to_have_text("C")


def test_lead_provider_invites_a_colleague_who_accepts_and_a_provider_cannot_invite(
    page, other_computer, nurse, nursing, totp_secret, assert_accessible
):
    # The lead provider opens "Uitnodigen" in the navigation.
    log_in_with_totp(page, nurse.email, totp_secret[nurse.pk])
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Nynke")
    main_menu(page).locator(f'a[href="{INVITATIONS}"]').click()
    expect(page).to_have_url(re.compile(INVITATIONS + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.locator(f'#main a[href="{INVITATION_NEW}"]').click()

    # Invites a colleague: names and e-mail; the organisation is their own, not a choice.
    expect(page).to_have_url(re.compile(INVITATION_NEW + "$"))
    expect(page.locator("#id_organisation")).to_have_count(0)
    expect(page.locator("#id_new_organisation_name")).to_have_count(0)
    assert_accessible(page)
    page.locator("#id_first_name").fill("Durk")
    page.locator("#id_last_name").fill("Hoekstra")
    page.locator("#id_email").fill("d.hoekstra@thuiszorg.nl")
    page.locator("#main form button[type=submit]").click()

    # The list shows the invitation as pending, with "send again" and "revoke".
    expect(page).to_have_url(re.compile(INVITATIONS + "$"))
    invitation = Invitation.objects.get(email="d.hoekstra@thuiszorg.nl")
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.organisation == nursing
    assert invitation.role == Role.PROVIDER
    row = page.locator("#main tbody tr", has_text="d.hoekstra@thuiszorg.nl")
    expect(row).to_contain_text("Durk Hoekstra")
    expect(row).to_contain_text("Thuiszorg Friesland")
    expect(row).to_contain_text(dutch(Invitation.Status.PENDING.label))
    expect(row.locator(f'form[action="/uitnodigingen/{invitation.pk}/intrekken/"]')).to_have_count(
        1
    )
    assert_accessible(page)
    assert page.console_errors == []

    # The colleague opens the link from the e-mail, creates the account and sets up TOTP.
    link = invitation_path_from_outbox("d.hoekstra@thuiszorg.nl")
    colleague = other_computer()
    accept_invitation_and_set_up_totp(
        colleague,
        link,
        first_name="Durk",
        last_name="Hoekstra",
        assert_accessible=assert_accessible,
    )
    colleague.goto("/")
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Welkom, Durk")
    expect(colleague.locator("#main")).to_contain_text("Thuiszorg Friesland")
    # A provider who is not lead does not see "Uitnodigen".
    expect(main_menu(colleague).get_by_role("link", name="Collega's")).to_be_visible()
    expect(main_menu(colleague).locator(f'a[href="{INVITATIONS}"]')).to_have_count(0)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    page.reload()
    expect(row).to_contain_text(dutch(Invitation.Status.ACCEPTED.label))
    expect(row.locator("form")).to_have_count(0)
