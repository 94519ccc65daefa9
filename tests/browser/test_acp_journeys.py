"""The advance care plan journey (must-show 6) in a real Chromium, against the live server.

The GP records Sjoerd Dijkstra's PZP with resuscitation "niet uitvoeren" and shares it with the
district nurse only. The nurse sees the headline in the patient header, reads the plan and
downloads the one-page PDF; the physiotherapist, in the same care network, sees neither the
headline nor the plan — the plan page is a 404 for him. The browser asks for English: the
product must still speak Dutch.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from careplans.models import AcpVersion
from tests.browser.test_patient_journeys import dutch, log_in_with_totp, patient_tab
from tests.factories import CareNetworkMemberFactory, totp_enable

pytestmark = pytest.mark.django_db(transaction=True)


def test_gp_records_a_pzp_for_the_nurse_only_and_the_physio_cannot_see_it(
    page, other_computer, gp, nurse, physio, shared_patient, totp_secret, assert_accessible
):
    CareNetworkMemberFactory(patient=shared_patient, user=physio)
    totp_secret[physio.pk] = totp_enable(physio)
    patient_url = f"/patienten/{shared_patient.pk}/"

    # 1. The GP opens the patient, the PZP tab, and records the plan.
    log_in_with_totp(page, gp.email, totp_secret[gp.pk], start=patient_url)
    patient_tab(page, "PZP").click()
    expect(
        page.get_by_text(dutch("No advance care plan has been recorded for this patient yet."))
    ).to_be_visible()
    page.get_by_role("link", name=dutch("Record the advance care plan")).click()
    page.get_by_label(dutch("Date of the conversation")).fill("2026-11-20")
    page.get_by_label(dutch("Conversation held by (name)")).fill("Gerrit Postma")
    page.locator("input[name=resuscitation][value=dont]").check()
    page.locator("textarea[name=resuscitation_note]").fill("Besproken met patiënt en dochter")
    page.locator("input[name=consent_network]").check()
    page.get_by_label("Nynke Wiersma (Thuiszorg Friesland)").check()
    expect(page.get_by_label("Foppe Hiemstra (Fysio Centrum)")).not_to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name=dutch("Save as a new version")).click()
    expect(page).to_have_url(re.compile(r"/pzp/$"))
    header = page.locator("header.patient-header")
    expect(header).to_contain_text("Niet reanimeren")
    expect(page.locator("#limits-title + div")).to_contain_text("Niet uitvoeren")
    version = AcpVersion.objects.get(plan__patient=shared_patient)
    assert version.resuscitation == "dont"
    assert [s.user_id for s in version.shares.all()] == [nurse.pk]

    # 2. The nurse sees the headline on the patient page, reads the plan, downloads the PDF.
    nurse_page = other_computer()
    log_in_with_totp(nurse_page, nurse.email, totp_secret[nurse.pk], start=patient_url)
    expect(nurse_page.locator("header.patient-header")).to_contain_text("Niet reanimeren")
    patient_tab(nurse_page, "PZP").click()
    expect(nurse_page.get_by_text("Besproken met patiënt en dochter")).to_be_visible()
    expect(nurse_page.get_by_role("link", name=dutch("Record a new version"))).to_have_count(0)
    expect(nurse_page.get_by_role("link", name=dutch("Propose an addition"))).to_be_visible()
    assert_accessible(nurse_page)
    with nurse_page.expect_download() as download_info:
        nurse_page.get_by_role("link", name=dutch("Download PDF")).click()
    pdf = PdfReader(io.BytesIO(open(download_info.value.path(), "rb").read()))  # noqa: SIM115
    assert len(pdf.pages) == 1
    text = " ".join(pdf.pages[0].extract_text().split())
    assert "Behandelgrenzen" in text and "Reanimatie Niet uitvoeren" in text

    # 3. The physiotherapist in the same network: no headline, no tab, and the plan is a 404.
    physio_page = other_computer()
    log_in_with_totp(physio_page, physio.email, totp_secret[physio.pk], start=patient_url)
    expect(physio_page.locator("header.patient-header")).to_be_visible()
    expect(physio_page.locator("header.patient-header")).not_to_contain_text("Niet reanimeren")
    expect(patient_tab(physio_page, "PZP")).to_have_count(0)
    response = physio_page.goto(f"{patient_url}pzp/")
    assert response.status == 404
    expect(physio_page.get_by_text("Besproken met patiënt en dochter")).to_have_count(0)
