"""Home-measurement journey in a real Chromium: the GP sets Sjoerd's blood-pressure limit; the
district nurse, on a 390 px phone in his kitchen, enters three blood pressures (one with a
Dutch decimal comma, one over the limit) and an impossible one is refused; the GP opens the
*Metingen* tab and sees the chart, its table and the alert, and marks the alert handled. The
alert shows up on the GP's open start page without a reload (*Signalen thuismetingen*: the
block is fetched again on the live event), and leaves it once handled.
No console errors (the strict CSP would report any), no horizontal scroll on the phone.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from questionnaires.models import HomeMeasurement, MeasurementAlert
from tests.browser.conftest import collect_console_errors, seed_matrix_defaults
from tests.browser.test_patient_journeys import dutch, log_in_with_totp, patient_tab

pytestmark = pytest.mark.django_db(transaction=True)


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px phone"


def enter_blood_pressure(phone, upper: str, lower: str) -> None:
    phone.get_by_role("link", name=dutch("New measurement")).click()
    phone.get_by_label(dutch("Upper pressure (systolic)")).fill(upper)
    phone.get_by_label(dutch("Lower pressure (diastolic)")).fill(lower)
    phone.get_by_role("button", name=dutch("Save measurement")).click()


def test_nurse_enters_three_blood_pressures_on_a_phone_and_the_gp_sees_chart_and_alert(
    page, phone_page, gp, nurse, shared_patient, totp_secret, assert_accessible
):
    seed_matrix_defaults()  # district nursing reads measurements by the default matrix
    patient_url = f"/patienten/{shared_patient.pk}/"

    # 1. The GP sets the limit: above 160/95 is an alert.
    log_in_with_totp(page, gp.email, totp_secret[gp.pk], start=patient_url)
    patient_tab(page, "Measurements").click()
    expect(page).to_have_url(re.compile(rf"/patienten/{shared_patient.pk}/metingen/$"))
    expect(page.locator("#measurements-empty")).to_be_visible()
    page.get_by_role("link", name=dutch("Limits")).click()
    form = page.locator("#threshold-form")
    form.get_by_label(dutch("Upper limit"), exact=True).fill("160")
    form.get_by_label(dutch("Upper limit of the lower pressure"), exact=True).fill("95")
    form.get_by_role("button", name=dutch("Save limits")).click()
    expect(page.locator("#messages")).to_contain_text(dutch("The limits are saved."))
    # The GP keeps the start page open: no alerts yet.
    page.goto("/")
    start_alerts = page.locator("#start-measurement-alerts")
    expect(start_alerts).to_contain_text(dutch("No open alerts on home measurements."))

    # 2. The nurse, on her phone, enters three blood pressures.
    phone = phone_page
    phone.console_errors = collect_console_errors(phone)
    log_in_with_totp(phone, nurse.email, totp_secret[nurse.pk], start=patient_url)
    patient_tab(phone, "Measurements").click()
    phone.get_by_role("link", name=dutch("New measurement")).click()
    expect(phone.get_by_label(dutch("Upper pressure (systolic)"))).to_have_attribute(
        "inputmode", "decimal"
    )
    no_horizontal_scroll(phone)
    phone.go_back()
    enter_blood_pressure(phone, "142", "84")
    expect(phone.locator("#messages")).to_contain_text("142/84 mmHg")
    enter_blood_pressure(phone, "151,0", "88")
    expect(phone.locator("#messages")).to_contain_text("151/88 mmHg")
    # A slip of the finger: 1720 is refused with a Dutch message, nothing stored.
    enter_blood_pressure(phone, "1720", "98")
    expect(phone.locator(".invalid-feedback")).to_contain_text("niet mogelijk")
    no_horizontal_scroll(phone)
    phone.get_by_label(dutch("Upper pressure (systolic)")).fill("172")
    phone.get_by_role("button", name=dutch("Save measurement")).click()
    expect(phone.locator("#messages")).to_contain_text("172/98 mmHg")
    expect(phone.locator("[data-measurement-chart=blood_pressure] canvas")).to_be_visible()
    no_horizontal_scroll(phone)
    assert HomeMeasurement.objects.filter(patient=shared_patient).count() == 3
    # The refused form came back as 422 (the browser logs that); nothing else, no CSP refusal.
    assert [e for e in phone.console_errors if "status of 422" not in e] == []

    # 3. Without a reload, the GP's start page lists the alert; one click opens Sjoerd's
    # measurements: the chart, its table and the alert, handled there. pytest-django's
    # live_server speaks WSGI only (no websocket), so the test fires the event live.js fires on
    # the "alerts" push (the push itself: tests/questionnaires/test_measure_alert_start.py).
    page.evaluate("document.body.dispatchEvent(new CustomEvent('live-alerts'))")
    expect(start_alerts).to_contain_text(shared_patient.formal_name)
    expect(start_alerts).to_contain_text("172/98 mmHg")
    assert_accessible(page)
    start_alerts.get_by_role("link", name=shared_patient.formal_name).click()
    expect(page).to_have_url(re.compile(rf"/patienten/{shared_patient.pk}/metingen/$"))
    alerts = page.locator("#measurement-alerts")
    expect(alerts).to_contain_text("172/98 mmHg")
    chart = page.locator("[data-measurement-chart=blood_pressure]")
    expect(chart.locator("canvas")).to_be_visible()
    page.get_by_text(dutch("Show as a table")).first.click()
    expect(page.locator("#series-blood_pressure table")).to_contain_text("155/90")  # the mean
    assert_accessible(page)
    alerts.get_by_role("button", name=dutch("Handled")).click()
    expect(page.locator("#messages")).to_contain_text(dutch("The alert is marked as handled."))
    expect(page.locator("#measurement-alerts")).to_have_count(0)
    assert MeasurementAlert.objects.get().handled_by == gp
    page.goto("/")
    expect(page.locator("#start-measurement-alerts")).to_contain_text(
        dutch("No open alerts on home measurements.")
    )
    assert page.console_errors == []
