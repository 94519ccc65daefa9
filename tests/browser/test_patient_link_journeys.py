"""A questionnaire sent to the patient, in a real Chromium (issue 17, must-show 4): the district
nurse, at her desk, sends Sjoerd a PHQ-9 by e-mail through the real form; Sjoerd opens the link
from that e-mail on his phone, without an account. A wrong date of birth is refused in Dutch;
with the right one he answers four questions, saves and closes the browser. Later, in a fresh
browser on his phone, he confirms his date of birth again, finds his answers still checked,
answers the rest and sends them: "Dank u wel". His pages load nothing from another site and
the strict CSP refuses nothing. The GP, at the practice, sees the score and its interpretation
"ingevuld door de patiënt", and the sent questionnaire as "ingevuld". axe finds no serious or
critical violation on the send form, the date-of-birth page, the questions or the thank-you page.

The other half of must-show 4 — the nurse enters three blood pressures on her phone and the GP
sees the chart and the alert over the limit — is the journey in
``tests/browser/test_measurement_journeys.py``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from questionnaires.library_services import instruments_load
from questionnaires.models import PatientLink, Response
from tests.browser.conftest import collect_console_errors, seed_matrix_defaults
from tests.browser.test_patient_journeys import dutch, log_in_with_totp, patient_tab

pytestmark = pytest.mark.django_db(transaction=True)

PATIENT_EMAIL = "s.dijkstra@example.nl"
LINK_PATH = re.compile(r"/vragenlijst/[A-Za-z0-9_-]+/")
PHONE_WIDTH = 390
PHQ9 = "PHQ-9 (depressieve klachten)"


@pytest.fixture
def patient_phone(chromium, live_server):
    """``patient_phone()``: the patient's phone, a fresh browser context each time (no cookies
    from before); every request it makes is recorded in ``page.requests``."""
    contexts = []

    def _page():
        context = chromium.new_context(
            base_url=live_server.url,
            viewport={"width": PHONE_WIDTH, "height": 844},
            is_mobile=True,
            has_touch=True,
            locale="en-US",
        )
        contexts.append(context)
        phone = context.new_page()
        phone.console_errors = collect_console_errors(phone)
        phone.requests = []
        phone.on("request", lambda request: phone.requests.append(request.url))
        return phone

    yield _page
    for context in contexts:
        context.close()  # closing twice is harmless


def link_path_from_outbox() -> str:
    """The /vragenlijst/<token>/ path from the one e-mail sent to the patient."""
    sent = [message for message in mail.outbox if message.to == [PATIENT_EMAIL]]
    assert len(sent) == 1, [(m.to, m.subject) for m in mail.outbox]
    message = sent[0]
    match = LINK_PATH.search(message.body)
    assert match, message.body
    assert match.group(0) in message.alternatives[0][0]  # the HTML part has the same link
    assert "PHQ" not in message.body  # the message does not say which questionnaire
    return match.group(0)


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width} px wide on a {PHONE_WIDTH} px phone"


def enter_birth_date(phone, day: str, month: str, year: str) -> None:
    phone.get_by_label(dutch("Day"), exact=True).fill(day)
    phone.get_by_label(dutch("Month"), exact=True).fill(month)
    phone.get_by_label(dutch("Year"), exact=True).fill(year)
    phone.get_by_role("button", name=dutch("Continue")).click()


def only_from(phone, origin: str) -> None:
    """Every request of the patient's phone went to the live server; no CSP refusal, no other
    console error (a refused date of birth comes back as 422, which the browser logs)."""
    elsewhere = [url for url in phone.requests if not url.startswith(origin + "/")]
    assert phone.requests and elsewhere == [], elsewhere
    assert [e for e in phone.console_errors if "status of 422" not in e] == []


def test_nurse_sends_a_phq9_the_patient_fills_it_in_on_his_phone_and_the_gp_sees_the_score(
    page,
    other_computer,
    patient_phone,
    live_server,
    nurse,
    gp,
    shared_patient,
    totp_secret,
    assert_accessible,
):
    seed_matrix_defaults()
    instruments_load()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(live_server.url))

    # 1. The nurse, at her desk, opens Sjoerd's questionnaires and sends him a PHQ-9 by e-mail.
    log_in_with_totp(
        page, nurse.email, totp_secret[nurse.pk], start=f"/patienten/{shared_patient.pk}/"
    )
    patient_tab(page, "Questionnaires").click()
    expect(page.locator("#sent-questionnaires")).to_contain_text(
        dutch("No questionnaire has been sent to this patient yet.")
    )
    page.get_by_role("link", name=dutch("Send a questionnaire to the patient")).click()
    expect(page).to_have_url(
        re.compile(rf"/patienten/{shared_patient.pk}/vragenlijsten/versturen/$")
    )
    form = page.locator("#link-send-form")
    expect(form).to_be_visible()
    assert_accessible(page)
    form.get_by_label(dutch("Questionnaire")).select_option(label=PHQ9)
    form.get_by_label(dutch("The patient's e-mail address")).fill(PATIENT_EMAIL)
    form.get_by_role("button", name=dutch("Send to the patient")).click()
    expect(page.locator("#messages")).to_contain_text(
        dutch(
            "The questionnaire has been sent to the patient. You will see here when it is "
            "filled in."
        )
    )
    expect(page).to_have_url(
        re.compile(rf"/patienten/{shared_patient.pk}/vragenlijsten/#sent-questionnaires$")
    )
    sent_row = page.locator("#sent-questionnaires tr.sent-link")
    expect(sent_row).to_have_count(1)
    expect(sent_row).to_contain_text(PHQ9)
    expect(sent_row).to_have_attribute("data-status", "sent")

    # 2. The link from the e-mail (the live server runs in this process: locmem outbox).
    path = link_path_from_outbox()

    # 3. Sjoerd opens it on his phone: first his date of birth. A slip of the year is refused.
    phone = patient_phone()
    phone.goto(path)
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        dutch("A questionnaire from your care provider")
    )
    expect(phone.locator("body")).not_to_contain_text("PHQ")
    expect(phone.locator("body")).not_to_contain_text("Dijkstra")
    no_horizontal_scroll(phone)
    assert_accessible(phone)
    enter_birth_date(phone, "2", "8", "1957")
    expect(phone.locator("#birth-date-problem")).to_have_text(
        dutch("This date of birth does not match. Check it and try again.")
    )
    expect(phone.get_by_text("Weinig interesse of plezier")).to_have_count(0)
    assert_accessible(phone)

    # The right date: the questions. He answers four and saves for later.
    enter_birth_date(phone, "2", "8", "1956")
    expect(phone.get_by_role("heading", level=1)).to_have_text(PHQ9)
    expect(phone.get_by_text("Weinig interesse of plezier in het doen van dingen")).to_be_visible()
    no_horizontal_scroll(phone)
    assert_accessible(phone)
    for n in range(1, 5):
        phone.locator(f"#q-{n}-3").check()  # "Meer dan de helft van de dagen": 2 points each
    phone.get_by_role("button", name=dutch("Save and continue later")).click()
    expect(phone.locator("#draft-saved")).to_be_visible()
    expect(phone.locator("#q-4-3")).to_be_checked()
    assert not Response.objects.exists()
    only_from(phone, origin)
    phone.context.close()

    # 4. Later, a fresh browser on his phone: the date of birth again, his answers still there.
    phone = patient_phone()
    phone.goto(path)
    expect(phone.locator("#q-1-3")).to_have_count(0)  # nothing before the date of birth
    enter_birth_date(phone, "2", "8", "1956")
    for n in range(1, 5):
        expect(phone.locator(f"#q-{n}-3")).to_be_checked()
    expect(phone.locator("#q-5-1")).not_to_be_checked()
    for n in (5, 6, 7):
        phone.locator(f"#q-{n}-2").check()  # "Een aantal dagen": 1 point each
    for n in (8, 9):
        phone.locator(f"#q-{n}-1").check()  # "Helemaal niet"
    phone.locator("#q-10-2").check()  # the difficulty question, not counted
    phone.get_by_role("button", name=dutch("Send my answers")).click()
    thanks = phone.locator("#link-ended")
    expect(thanks).to_have_attribute("data-reason", "submitted")
    expect(thanks.get_by_role("heading", level=1)).to_have_text("Dank u wel")
    no_horizontal_scroll(phone)
    assert_accessible(phone)
    only_from(phone, origin)
    stored = Response.objects.get()
    assert (stored.source, stored.author, stored.score, stored.interpretation) == (
        Response.Source.PATIENT_LINK,
        None,
        11,
        "Matige depressieve klachten",
    )
    assert PatientLink.objects.get().end_reason == PatientLink.EndReason.SUBMITTED

    # 5. The GP, at the practice, sees the score, its interpretation, who filled it in, and the
    # sent questionnaire as filled in.
    gp_page = other_computer()
    log_in_with_totp(
        gp_page,
        gp.email,
        totp_secret[gp.pk],
        start=f"/patienten/{shared_patient.pk}/vragenlijsten/",
    )
    card = gp_page.locator(f"#questionnaire-{stored.questionnaire_id}")
    latest = card.locator(".latest-score")
    expect(latest).to_contain_text("11")
    expect(latest).to_contain_text("Matige depressieve klachten")
    expect(latest.locator(".score-flag")).to_have_text(re.compile(dutch("Over the cut-off")))
    expect(card).to_contain_text(dutch("filled in by the patient"))
    sent_row = gp_page.locator("#sent-questionnaires tr.sent-link")
    expect(sent_row).to_have_attribute("data-status", "submitted")
    expect(sent_row.get_by_role("link", name=dutch("filled in"), exact=True)).to_be_visible()
    assert_accessible(gp_page)
    assert page.console_errors == [] and gp_page.console_errors == []
