"""Questionnaire journey in a real Chromium: the district nurse, on a phone in the patient's
kitchen, fills in a PHQ-9 about Sjoerd from his patient page; a question left open is pointed
out in Dutch and nothing is stored; once complete, the score and its interpretation appear.
The GP, on the practice PC, sees it flagged over the cut-off and sends it to the HIS as a note.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from his.models import HisExport
from questionnaires.library_services import instruments_load
from questionnaires.models import Questionnaire, Response
from tests.browser.test_patient_journeys import dutch, log_in_with_totp, patient_tab
from tests.questionnaires.conftest import responses_for

pytestmark = pytest.mark.django_db(transaction=True)


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px phone"


def test_nurse_fills_in_a_phq9_on_a_phone_and_the_gp_sees_the_flagged_score(
    page, phone_page, nurse, gp, shared_patient, totp_secret, assert_accessible
):
    instruments_load()

    # 1. The nurse, on her phone, opens Sjoerd's Vragenlijsten tab: nothing filled in yet.
    log_in_with_totp(
        phone_page, nurse.email, totp_secret[nurse.pk], start=f"/patienten/{shared_patient.pk}/"
    )
    patient_tab(phone_page, "Questionnaires").click()
    expect(phone_page.locator("#results-empty")).to_be_visible()
    phone_page.get_by_role("link", name="PHQ-9 (depressieve klachten)").click()
    expect(
        phone_page.get_by_text("Weinig interesse of plezier in het doen van dingen")
    ).to_be_visible()
    no_horizontal_scroll(phone_page)
    assert_accessible(phone_page)

    # 2. "Meer dan de helft van de dagen" on questions 1-6, "Helemaal niet" on 7 and 8, and
    # question 9 forgotten: the form says so and stores nothing.
    for n in range(1, 7):
        phone_page.locator(f"#q-{n}-3").check()
    for n in (7, 8):
        phone_page.locator(f"#q-{n}-1").check()
    phone_page.get_by_role("button", name=dutch("Save and score")).click()
    expect(phone_page.locator("#error-9")).to_have_text(dutch("Answer this question."))
    expect(phone_page.locator("#form-errors")).to_be_visible()
    assert not Response.objects.exists()
    expect(phone_page.locator("#q-1-3")).to_be_checked()  # what she gave is kept

    # 3. Question 9 and the difficulty question: 12 points, moderate, over the cut-off.
    phone_page.locator("#q-9-1").check()
    phone_page.locator("#q-10-2").check()
    phone_page.get_by_role("button", name=dutch("Save and score")).click()
    expect(phone_page.locator("#messages")).to_contain_text(
        dutch("The questionnaire has been saved.")
    )
    latest = phone_page.locator(".latest-score")
    expect(latest).to_contain_text("12")
    expect(latest).to_contain_text("Matige depressieve klachten")
    no_horizontal_scroll(phone_page)

    # 4. The GP sees it flagged — with a score from last month (5, mild), a line of two points
    # over the cut-off line beside the trend table — opens the answers and makes a note for
    # the HIS.
    responses_for(
        shared_patient,
        Questionnaire.objects.get(slug="phq-9"),
        [5],
        author=nurse,
        start=timezone.now() - datetime.timedelta(days=30),
    )
    log_in_with_totp(
        page,
        gp.email,
        totp_secret[gp.pk],
        start=f"/patienten/{shared_patient.pk}/vragenlijsten/",
    )
    expect(page.locator(".score-flag")).to_have_text(re.compile(dutch("Over the cut-off")))
    expect(page.locator("[data-score-chart] canvas")).to_be_visible()
    expect(page.locator("table.score-trend tbody tr")).to_have_count(2)
    assert_accessible(page)
    page.get_by_role("link", name=dutch("Answers")).first.click()
    expect(page.locator("#response-scores")).to_contain_text("Matige depressieve klachten")
    page.get_by_role("button", name=dutch("Make a note for the HIS")).click()
    expect(page.locator("section[id^=export-] pre")).to_contain_text("PHQ-9 totaalscore: 12")
    assert HisExport.objects.count() == 1
