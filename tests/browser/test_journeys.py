"""Main journeys in a real Chromium, against the live server. The browser asks for English
(locale en-US) on purpose: the product must still speak Dutch."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD, demo_email
from accounts.levels import Level
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from tests.totp import totp_now

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server):
    call_command("demo_seed")


def log_in(page, email, password):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()


def test_demo_gp_logs_in_and_sees_the_dutch_start_page(page, demo, assert_accessible):
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen bij Regiozorg")
    assert_accessible(page)

    log_in(page, demo_email("huisarts"), DEMO_PASSWORD)

    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Jelle")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_contain_text("Collega's")
    # The start page is the day's work; the organisation's details are on the profile page.
    expect(page.get_by_role("heading", name="Ongelezen gesprekken")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Terugkoppelingen en mislukte afleveringen")
    ).to_be_visible()
    expect(page.locator("#main")).to_contain_text("Huisartsenpraktijk De Terp")
    # The helpdesk's number is at the top of every page (on a phone behind the help icon).
    expect(page.locator(".support-bar").get_by_text("058 - 123 45 67")).to_be_visible()
    assert_accessible(page)
    assert page.console_errors == []
    page.goto("/profiel/")
    expect(page.get_by_role("heading", name="Je organisatie")).to_be_visible()
    expect(page.locator("#main")).to_contain_text("Level A")

    for path in ("/profiel/", "/collegas/?q=de", "/contact/"):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        assert_accessible(page)


def test_start_page_works_on_a_phone(phone_page, demo, assert_accessible):
    log_in(phone_page, demo_email("wijkverpleegkundige"), DEMO_PASSWORD)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Welkom, Tjitske")
    expect(phone_page.locator("#main")).to_contain_text("Wijkverpleging Noord-Fryslân")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    assert_accessible(phone_page)
    # A compact header: the support bar folds into the help icon, the menu behind one button.
    expect(phone_page.locator(".support-bar")).to_be_hidden()
    header = phone_page.locator("header.site-header").bounding_box()
    assert header["height"] <= 80, f"the header takes {header['height']}px of an 844px screen"
    phone_page.locator("summary", has_text="Hulp en contact").click()
    expect(phone_page.get_by_role("link", name="058 - 123 45 67")).to_be_visible()
    phone_page.keyboard.press("Escape")
    expect(phone_page.get_by_role("link", name="058 - 123 45 67")).to_be_hidden()
    expect(phone_page.get_by_role("link", name="Patiënten")).to_be_hidden()
    phone_page.get_by_role("button", name="Menu").click()
    expect(phone_page.get_by_role("link", name="Patiënten")).to_be_visible()
    phone_page.get_by_role("link", name="Patiënten").click()
    expect(phone_page.get_by_role("heading", level=1)).to_contain_text("Patiënten")


def test_provider_with_patient_data_access_must_set_up_totp_and_then_logs_in_with_a_code(
    page, live_server
):
    practice = OrganisationFactory(name="Huisartsenpraktijk De Linde")
    user = UserFactory(email="poh@delinde.nl", first_name="Petra")
    MembershipFactory(user=user, organisation=practice, level=Level.C, has_patient_data_access=True)

    log_in(page, user.email, PASSWORD)
    # Patient-data access without a second factor: straight to the authenticator set-up.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("#id_code").fill(totp_now(secret))
    page.locator("#main form button[type=submit]").click()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Petra")

    page.locator("details.user-menu summary").click()  # open the user menu
    page.get_by_role("button", name="Uitloggen").click()

    # A TOTP code cannot be used twice: log in again in the next 30-second window.
    with time_machine.travel(datetime.timedelta(seconds=31), tick=True):
        log_in(page, user.email, PASSWORD)
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.locator("#id_code").fill(totp_now(secret))
        page.locator("#main form button[type=submit]").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Petra")


def test_profile_rejects_a_seven_digit_agb_code_in_dutch_and_keeps_the_old_value(page, demo):
    log_in(page, demo_email("poh"), DEMO_PASSWORD)
    page.goto("/profiel/")
    page.get_by_label("Persoonlijke AGB-code").fill("0101234")
    page.get_by_role("button", name="Profiel opslaan").click()
    expect(page.locator("#main")).to_contain_text("Een AGB-code bestaat uit precies 8 cijfers.")
    page.goto("/profiel/")
    expect(page.get_by_label("Persoonlijke AGB-code")).to_have_value("")


def test_adding_an_absence_updates_the_list_in_place_and_shows_the_marker(page, demo):
    log_in(page, demo_email("poh"), DEMO_PASSWORD)
    page.goto("/profiel/")
    today = datetime.date.today()
    page.locator("#id_start").fill(today.isoformat())
    page.locator("#id_end").fill((today + datetime.timedelta(days=2)).isoformat())
    page.get_by_label("Bericht voor afzenders").fill("Bel de praktijk")
    page.get_by_role("button", name="Afwezigheid toevoegen").click()
    expect(page.locator("#absences")).to_contain_text("Bel de praktijk")
    page.goto("/collegas/?q=Hoekstra")
    expect(page.locator("#results")).to_contain_text("Afwezig t/m")


def test_colleague_search_shows_results_while_typing(page, demo):
    log_in(page, demo_email("huisarts"), DEMO_PASSWORD)
    page.goto("/collegas/")
    page.get_by_label("Zoek op voornaam, achternaam of organisatie").press_sequentially("Fysio")
    expect(page.locator("#results")).to_contain_text("Bauke Zijlstra")
    expect(page).to_have_url(re.compile(r"q=Fysio"))


def test_provider_can_use_a_security_key_webauthn_as_second_factor(page, live_server):
    """WebAuthn under our strict CSP, with Chromium's virtual authenticator as the key."""
    practice = OrganisationFactory(name="Huisartsenpraktijk De Linde")
    user = UserFactory(email="huisarts@delinde.nl", first_name="Wietske")
    MembershipFactory(user=user, organisation=practice, level=Level.A, has_patient_data_access=True)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    log_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    page.goto("/accounts/2fa/webauthn/add/")
    page.locator("input[name=name]").fill("Sleutel op de praktijk-pc")
    page.locator("#mfa_webauthn_add").click()
    expect(page).not_to_have_url(re.compile(r"/webauthn/add/"))
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Wietske")
    assert page.console_errors == []

    page.locator("details.user-menu summary").click()
    page.get_by_role("button", name="Uitloggen").click()
    log_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#mfa_webauthn_authenticate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Wietske")
