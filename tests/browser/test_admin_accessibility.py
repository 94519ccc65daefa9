"""The admin pages the helpdesk works in (issue 15, item 9), checked with axe-core at 1366×768.

The demo helpdesk account logs in with its second factor (demo accounts are asked for one here,
as in production), then every page it uses for account requests, the authorisation matrix, care
pathways, the connections to other systems and users is checked: no serious or critical axe
finding, and the matrix fits a 1366 px screen without scrolling sideways.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD, demo_email
from accounts.models import Membership, Organisation, User
from accounts.services.staff import account_request_create
from his.models import HisEndpoint
from questionnaires.models import Item, Questionnaire, ScoringRule
from referrals.models import CarePathway, ReferralEndpoint
from tests.browser.conftest import seed_matrix_defaults, serious_violations
from tests.conftest import totp_code
from tests.factories import totp_enable

pytestmark = pytest.mark.django_db(transaction=True)

SCREEN = {"width": 1366, "height": 768}


@pytest.fixture
def desk(chromium, live_server, settings):
    """The demo data, and a 1366×768 browser logged in as the demo helpdesk with its TOTP."""
    seed_matrix_defaults()
    call_command("demo_seed")
    settings.DEMO_ACCOUNTS_REQUIRE_MFA = True
    helpdesk = User.objects.get(email=demo_email("helpdesk"))
    secret = totp_enable(helpdesk)

    context = chromium.new_context(base_url=live_server.url, viewport=SCREEN, locale="en-US")
    page = context.new_page()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("E-mail").fill(helpdesk.email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#id_code").fill(totp_code(secret))
    page.locator("#main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    yield page
    context.close()


def helpdesk_pages() -> list[str]:
    """One of each object the helpdesk keeps, so every change form has something to show."""
    gp = Membership.objects.get(
        user__email=demo_email("huisarts"), organisation__name="Huisartsenpraktijk De Terp"
    )
    request = account_request_create(
        manager=gp,
        initials="S.",
        infix="de",
        last_name="Vries",
        email="s.devries@example.nl",
        level="C",
        remarks="Begint op 1 maart als praktijkondersteuner.",
    )
    his = HisEndpoint.objects.create(
        practice=gp.organisation, url="https://his.example.nl/fhir", token="h" * 24
    )
    nursing = Organisation.objects.get(name="Wijkverpleging Noord-Fryslân")
    referral = ReferralEndpoint.objects.create(
        organisation=nursing, url="https://ecd.example.nl/fhir", token="r" * 24
    )
    pathway = CarePathway.objects.order_by("pk").first()
    user = User.objects.get(email=demo_email("huisarts"))
    phq = Questionnaire.objects.get(slug="phq-9")
    difficulty = Item.objects.get(questionnaire=phq, link_id="10")  # with its enableWhen
    total = ScoringRule.objects.get(questionnaire=phq, code="totaal")  # with its cut-offs
    return [
        "/admin/accounts/accountrequest/",
        f"/admin/accounts/accountrequest/{request.pk}/change/",
        "/admin/network/authorisationrule/",
        "/admin/referrals/carepathway/",
        f"/admin/referrals/carepathway/{pathway.pk}/change/",
        "/admin/his/hisendpoint/",
        f"/admin/his/hisendpoint/{his.pk}/change/",
        "/admin/referrals/referralendpoint/",
        f"/admin/referrals/referralendpoint/{referral.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{user.pk}/change/",
        "/admin/questionnaires/questionnaire/",
        f"/admin/questionnaires/questionnaire/{phq.pk}/change/",
        "/admin/questionnaires/questionnaire/import/",
        f"/admin/questionnaires/item/{difficulty.pk}/change/",
        f"/admin/questionnaires/scoringrule/{total.pk}/change/",
    ]


def test_helpdesk_admin_pages_have_no_serious_axe_findings_at_1366(desk):
    findings = {}
    for path in helpdesk_pages():
        response = desk.goto(path)
        assert response.status == 200, path
        expect(desk.locator("html")).to_have_attribute("lang", "nl")
        violations = serious_violations(desk)
        if violations:
            findings[path] = violations
    assert findings == {}, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in findings.items())


def test_the_matrix_has_named_checkboxes_and_fits_1366(desk):
    desk.goto("/admin/network/authorisationrule/")
    # 10 organisation kinds × 6 data categories, each box named by its column and its row.
    boxes = desk.locator("#result_list tbody input[type=checkbox]")
    expect(boxes).to_have_count(60)
    pharmacy = desk.locator("#result_list tbody tr", has_text="Apotheek")
    expect(
        pharmacy.get_by_role("checkbox", name="Journaaluittreksel voor Apotheek")
    ).to_be_visible()
    expect(pharmacy.get_by_role("checkbox", name="Actuele medicatie voor Apotheek")).to_be_checked()
    assert serious_violations(desk) == []

    # No sideways scrolling, of the page or of the table, and the journal column is on screen.
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1366
    assert desk.evaluate(
        "(() => { const r = document.querySelector('#changelist-form .results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    )
    for cell in desk.locator("#result_list th.column-journal, #result_list td.field-journal").all():
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366, box
