"""Referral journey in a real Chromium: the GP refers a patient to the district nursing with the
preview of what they will see and her letter attached; a nurse opens the letter, takes the
referral into treatment and adds a colleague to the care network on the referral page; she
sends start feedback; the GP reads it, reports it back to the HIS and closes the referral.

The practice here has no HIS connection, so reporting back means downloading the SOEP note
(delivery to a connected HIS is tested in ``tests/referrals/test_his.py`` against a real
receiver).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from referrals.models import Referral
from tests.browser.test_patient_journeys import (
    dutch,
    log_in_with_totp,
    main_menu,
    restrict_district_nursing_to_no_measurements,
)
from tests.conversations.conftest import PDF_BYTES
from tests.factories import EpisodeFactory, MedicationFactory

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Graag wondzorg rechter onderbeen, 2x per week."
FINDINGS = "Ulcus 3 x 4 cm, wondbed schoon."


def test_gp_refers_with_the_preview_nurse_accepts_adds_a_colleague_and_reports_back(
    page, other_computer, gp, nurse, team_nurse, patient, nursing, totp_secret, assert_accessible
):
    # An earlier transactional test may have flushed the matrix the migration seeded.
    restrict_district_nursing_to_no_measurements()
    EpisodeFactory(patient=patient, icpc_code="S97", title="Ulcus cruris")
    MedicationFactory(patient=patient, name="Metformine 500 mg")

    # 1. The GP opens the patient and presses Verwijzen; she sees what the receiver will see.
    log_in_with_totp(page, gp.email, totp_secret[gp.pk], start=f"/patienten/{patient.pk}/")
    page.get_by_role("link", name=dutch("Refer"), exact=True).click()
    expect(page).to_have_url(re.compile(rf"/patienten/{patient.pk}/verwijzen/$"))
    expect(page.locator("#main")).not_to_contain_text("Dit veld is verplicht")
    # Choosing the organisation renews the preview in place (htmx): one page, no errors yet.
    page.get_by_label(dutch("Refer to")).select_option(label=nursing.name)
    preview = page.locator("section[aria-labelledby=preview-title]")
    expect(preview).to_contain_text(f"Dit ziet de ontvanger: {nursing.name}")
    expect(preview).to_contain_text("Wijkverpleging / VVT ziet:")
    expect(page.locator("#main")).not_to_contain_text("Dit veld is verplicht")
    expect(preview).to_contain_text("Ulcus cruris")
    assert_accessible(page)
    page.get_by_label(dutch("Question or reason")).fill(QUESTION)
    page.get_by_label(dutch("Attachments (optional)")).set_input_files(
        {"name": "verwijsbrief.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}
    )
    page.get_by_role("button", name=dutch("Send referral")).click()
    expect(page.locator("#messages")).to_contain_text(dutch("The referral was sent."))
    referral = Referral.objects.get()
    assert referral.state == Referral.State.SENT

    # 2. The nurse finds it under Verwijzingen → Nieuw and takes it into treatment.
    nurse_page = other_computer()
    log_in_with_totp(nurse_page, nurse.email, totp_secret[nurse.pk])
    # The menu item carries the badge for the new referral ("Verwijzingen 1 nieuw").
    referrals_item = main_menu(nurse_page).get_by_role(
        "link", name=re.compile("^" + re.escape(dutch("Referrals")) + r" 1 nieuw$")
    )
    referrals_item.click()
    expect(nurse_page.locator("#main")).to_contain_text(QUESTION)
    assert_accessible(nurse_page)
    nurse_page.get_by_role("link", name=re.compile(re.escape(QUESTION[:20]))).click()
    expect(nurse_page.locator("#main")).to_contain_text("Ulcus cruris")
    assert_accessible(nurse_page)
    with nurse_page.expect_download() as letter:
        nurse_page.get_by_role("link", name="verwijsbrief.pdf").click()
    assert letter.value.path().read_bytes() == PDF_BYTES
    nurse_page.get_by_role("button", name=dutch("Accept (in treatment)")).click()

    # 3. The same step offers her colleagues, on the referral: she adds one.
    expect(nurse_page).to_have_url(re.compile(rf"/verwijzingen/{referral.pk}/#colleagues$"))
    expect(nurse_page.locator("#messages")).to_contain_text("Voeg hieronder collega's toe")
    colleagues = nurse_page.locator("#colleagues")
    expect(colleagues).to_contain_text(team_nurse.full_name)
    assert_accessible(nurse_page)
    colleagues.get_by_role("button", name=re.compile(re.escape(team_nurse.full_name))).click()
    expect(nurse_page.locator("#messages")).to_contain_text(team_nurse.full_name)
    expect(nurse_page.locator("#colleagues")).not_to_contain_text(team_nurse.full_name)
    assert patient.network.filter(user=team_nurse, ended_at=None).exists()

    # 4. She sends start feedback: the form is open, it is her next step.
    nurse_page.get_by_label(dutch("Findings")).fill(FINDINGS)
    nurse_page.get_by_label(dutch("Number of sessions")).fill("8")
    nurse_page.get_by_role("button", name=dutch("Send feedback")).click()
    expect(nurse_page.locator("#messages")).to_contain_text(
        dutch("Your feedback was sent to the practice.")
    )

    # 5. The GP reads the feedback, reports it back to the HIS (not connected here: she
    # downloads the SOEP note) and closes the referral.
    page.reload()
    feedback = page.locator("section[aria-labelledby=feedback-title]")
    expect(feedback).to_contain_text(FINDINGS)
    assert_accessible(page)
    feedback.get_by_role("button", name=dutch("Export to the HIS")).click()
    expect(page.locator("#messages")).to_contain_text(dutch("The SOEP note is ready to download."))
    with page.expect_download() as download:
        page.get_by_role("link", name=dutch("Download the SOEP note")).click()
    note = download.value.path().read_text(encoding="utf-8")
    assert FINDINGS in note and note.startswith("Patiënt: ")
    page.get_by_role("button", name=dutch("Close referral")).click()
    expect(page.locator("h1")).to_contain_text(dutch("closed"))
    referral.refresh_from_db()
    assert referral.state == Referral.State.CLOSED
    assert referral.feedback.get().sessions == 8
