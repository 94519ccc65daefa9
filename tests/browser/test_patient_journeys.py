"""Patient journey (issue: patients, care network, matrix, access log, HIS extractions) in a
real Chromium, against the live server.

The GP of De Linde uploads a synthetic HIS extraction, finds one of its patients, makes the
patient visible and adds the district nurse to the care network. The nurse sees the patient
with only the categories the authorisation matrix allows district nursing; the physiotherapist,
outside the network, gets the same 404 as for a patient that does not exist; and the GP sees in
the access overview who looked.

The browser asks for English (locale en-US) on purpose: the product must still speak Dutch.
Texts are looked up through the Dutch catalog (``dutch``), so the test follows the
translations that are still being added instead of hard-coding either language.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.text import capfirst
from playwright.sync_api import expect

from accounts.models import OrganisationKind
from network.models import (
    AccessAction,
    AccessRelationship,
    AuthorisationRule,
    DataCategory,
    Extraction,
    Patient,
)
from tests.browser.conftest import serious_violations
from tests.factories import (
    PASSWORD,
    ContraIndicationFactory,
    EpisodeFactory,
    MeasurementFactory,
    MedicationFactory,
    totp_enable,
)
from tests.totp import totp_now
from tools.extraction import dumps_bundle, generate_bundle, resource_counts

pytestmark = pytest.mark.django_db(transaction=True)

PRACTICE_AGB = "01012345"  # De Linde, the ``practice`` fixture
BUNDLE_PATIENTS = 30
BUNDLE_SEED = 7
# Names of the actors in this journey: a patient whose name contains one of them would make
# "the name is (not) on the page" checks meaningless.
ACTOR_NAMES = ("Gerrit", "Postma", "Nynke", "Wiersma", "Foppe", "Hiemstra")
NURSE_NAME = "Nynke Wiersma"
NURSE_ORGANISATION = "Thuiszorg Friesland"
PHYSIO_NAME = "Foppe Hiemstra"
PHYSIO_ORGANISATION = "Fysio Centrum"
# The resource types of the bundle and the rows of the extraction's result table.
RESULT_ROWS = {
    "Patient": "Patients",
    "Condition": "Episodes",
    "MedicationStatement": "Medication",
    "AllergyIntolerance": "Contra-indications",
    "Observation": "Measurements",
}
PHONE_WIDTH = 390


# --- helpers ---------------------------------------------------------------------------------


def dutch(text) -> str:
    """``text`` as the app shows it in Dutch (its strings are still being translated)."""
    with translation.override("nl"):
        return str(translation.gettext(text) if isinstance(text, str) else text)


def dutch_count(singular: str, plural: str, count: int) -> str:
    """A ``{% blocktranslate count counter=… %}`` text in Dutch."""
    with translation.override("nl"):
        return translation.ngettext(singular, plural, count) % {"counter": count}


def log_in_with_totp(page, email, secret, *, start="/"):
    page.goto(start)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#id_code").fill(totp_now(secret))
    page.locator("#main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def main_menu(page):
    return page.get_by_role("navigation", name=dutch("Main menu"))


def patient_tab(page, label):
    return page.locator("ul.nav-tabs").get_by_role("link", name=dutch(label), exact=True)


def _resources_by_patient(bundle: dict) -> dict[str, list[dict]]:
    """Per patient id its resources, the Patient first. A child's reference is the fullUrl of
    its patient's entry (urn:uuid, the Bundle rules)."""
    by_patient: dict[str, list[dict]] = {}
    id_by_full_url: dict[str, str] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            by_patient[resource["id"]] = [resource]
            id_by_full_url[entry["fullUrl"]] = resource["id"]
        else:
            subject = resource.get("subject") or resource["patient"]
            by_patient[id_by_full_url[subject["reference"]]].append(resource)
    return by_patient


def pick_patient(bundle: dict) -> dict:
    """A patient of the bundle to follow: with episodes, medication and measurements, and a
    surname that finds only this patient (and is no actor's name).

    Returns the HIS id, the surname and, from the bundle, an episode title, a medication name
    and a measurement name that appears nowhere else in the patient's medical data.
    """
    people = _resources_by_patient(bundle)

    def name_parts(patient: dict) -> list[str]:
        name = patient["name"][0]
        return [*name.get("given", []), *name["family"].split()]

    for his_id, resources in people.items():
        patient = resources[0]
        surname = next(
            x["valueString"]
            for x in patient["name"][0]["_family"]["extension"]
            if x["url"].endswith("own-name")
        )
        if len(surname) < 4 or any(a.lower() in surname.lower() for a in ACTOR_NAMES):
            continue
        # The search matches name parts by substring: only this patient may match.
        matches = [
            other
            for other, rs in people.items()
            if any(surname.lower() in part.lower() for part in name_parts(rs[0]))
        ]
        if matches != [his_id]:
            continue
        texts = {kind: [] for kind in RESULT_ROWS}
        for resource in resources[1:]:
            concept = resource.get("code") or resource["medicationCodeableConcept"]
            texts[resource["resourceType"]].append(concept["text"])
        if not (texts["Condition"] and texts["MedicationStatement"] and texts["Observation"]):
            continue
        others = " ".join(
            texts["Condition"]
            + texts["MedicationStatement"]
            + texts["AllergyIntolerance"]
            + [r["dosage"][0]["text"] for r in resources if "dosage" in r]
        ).lower()
        measurement = next((m for m in texts["Observation"] if m.lower() not in others), None)
        if measurement is None:
            continue
        return {
            "his_id": his_id,
            "surname": surname,
            "episode": texts["Condition"][0],
            "medication": texts["MedicationStatement"][0],
            "measurement": measurement,
        }
    raise AssertionError("no suitable patient in the generated bundle")


def restrict_district_nursing_to_no_measurements():
    """The matrix row for district nursing: everything but measurements (and the journal).

    ``update_or_create``, not ``update``: an earlier transactional test may have flushed the
    rows the data migration seeded.
    """
    AuthorisationRule.objects.update_or_create(
        organisation_kind=OrganisationKind.DISTRICT_NURSING,
        defaults={
            "identity": True,
            "episodes": True,
            "medication": True,
            "contra_indications": True,
            "measurements": False,
            "journal": False,
        },
    )


# --- the journey -----------------------------------------------------------------------------


def test_gp_imports_extraction_shares_a_patient_with_the_nurse_and_sees_who_looked(
    page,
    other_computer,
    gp,
    nurse,
    physio,
    totp_secret,
    tmp_path,
    assert_accessible,
):
    restrict_district_nursing_to_no_measurements()
    bundle = generate_bundle(
        patients=BUNDLE_PATIENTS, seed=BUNDLE_SEED, practice_agb=PRACTICE_AGB, id_prefix="linde-"
    )
    chosen = pick_patient(bundle)
    extraction_file = tmp_path / "extractie-de-linde.json"
    extraction_file.write_text(dumps_bundle(bundle), encoding="utf-8")

    # 1. The GP logs in with password and TOTP code, goes to Patiënten → HIS-extracties …
    log_in_with_totp(page, gp.email, totp_secret[gp.pk])
    main_menu(page).get_by_role("link", name=dutch("Patients"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/patienten/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#results > p").first).to_have_text(
        dutch_count("%(counter)s patient", "%(counter)s patients", 0)
    )
    page.locator("#main").get_by_role("link", name=dutch("HIS extractions")).click()
    expect(page).to_have_url(re.compile(r"/extracties/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(dutch("HIS extractions"))

    # … uploads the extraction …
    page.get_by_label(dutch("HIS extraction (FHIR, .json)")).set_input_files(extraction_file)
    page.get_by_role("button", name=dutch("Upload and import")).click()
    expect(page).to_have_url(re.compile(r"/extracties/\d+/$"), timeout=60_000)

    # … and follows the import to 100 % (it ran eagerly, so it is finished already).
    progress = page.locator("#progress")
    expect(progress.locator("progress")).to_have_attribute("value", "100", timeout=30_000)
    expect(progress.locator("progress")).to_have_attribute("max", "100")
    expect(progress.locator("strong").first).to_have_text(
        capfirst(dutch(Extraction.Status.DONE.label))
    )
    expect(progress.locator("strong").first).to_have_text("Klaar")  # Dutch, not "Done"
    expect(progress).not_to_have_attribute("hx-get", re.compile(".*"))  # no more polling
    counts = resource_counts(bundle)
    result = progress.locator("table")
    # Columns: new, changed, unchanged (and more, such as removed): a first import is all new.
    expect(result.locator("thead th").nth(1)).to_have_text(dutch("new"))
    other_columns = result.locator("thead th").count() - 2
    assert other_columns >= 2, result.locator("thead").inner_text()
    for resource_type, label in RESULT_ROWS.items():
        row = result.locator("tbody tr").filter(
            has=page.get_by_role("rowheader", name=dutch(label), exact=True)
        )
        expect(row.locator("td")).to_have_text([str(counts[resource_type]), *["0"] * other_columns])
    assert_accessible(page)
    extraction = Extraction.objects.get()
    assert (extraction.status, extraction.total, extraction.error_count) == (
        Extraction.Status.DONE,
        BUNDLE_PATIENTS,
        0,
    )

    # 2. To the patients: the search box narrows the list while typing (htmx, no reload).
    progress.get_by_role("link", name=dutch("To the patients")).click()
    expect(page).to_have_url(re.compile(r"/patienten/$"))
    expect(page.locator("#results > p").first).to_have_text(
        dutch_count("%(counter)s patient", "%(counter)s patients", BUNDLE_PATIENTS)
    )
    assert_accessible(page)
    patient = Patient.objects.get(his_id=chosen["his_id"])
    assert not patient.is_visible
    page.evaluate("window.__samePage = true")
    page.get_by_label(dutch("Search by name, date of birth or BSN")).press_sequentially(
        chosen["surname"], delay=30
    )
    expect(page.locator("#results > p").first).to_have_text(
        dutch_count("%(counter)s patient", "%(counter)s patients", 1)
    )
    expect(page).to_have_url(re.compile(rf"\?q={re.escape(chosen['surname'])}$"))
    assert page.evaluate("window.__samePage === true"), "the search reloaded the page"
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.locator("#results").get_by_role("link", name=patient.formal_name).click()

    # The patient's overview: not visible to partners yet; the GP makes them visible.
    expect(page).to_have_url(re.compile(rf"/patienten/{patient.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(patient.formal_name)
    header = page.locator("header.patient-header")
    expect(header).to_contain_text(dutch("Not visible to partners"))
    expect(page.locator("#main")).to_contain_text(chosen["episode"])
    assert_accessible(page)
    page.get_by_role("button", name=dutch("Make visible to the care network")).click()
    expect(page.locator("#messages")).to_contain_text(
        dutch("Network partners in the care network can now see this patient.")
    )
    expect(header).to_contain_text(dutch("Visible to the care network"))
    patient.refresh_from_db()
    assert patient.is_visible

    # On the Zorgnetwerk tab the GP searches the district nurse and adds her.
    patient_tab(page, "Care network").click()
    expect(page).to_have_url(re.compile(rf"/patienten/{patient.pk}/zorgnetwerk/$"))
    network = page.locator("section[aria-labelledby=network-title]")
    expect(network).to_contain_text(
        dutch("Nobody outside the practice is in the care network yet.")
    )
    assert_accessible(page)
    page.get_by_label(dutch("Search a care provider by name")).press_sequentially(
        "Wiersma", delay=30
    )
    candidates = page.locator("#candidates")
    expect(candidates).to_contain_text(NURSE_NAME)
    expect(candidates).to_contain_text(NURSE_ORGANISATION)
    assert_accessible(page)  # with the search results shown
    add = candidates.get_by_role(
        "button", name=f"{dutch('Add')} {NURSE_NAME}, {NURSE_ORGANISATION}"
    )
    expect(add).to_contain_text("Toevoegen")
    add.click()
    expect(page.locator("#messages")).to_contain_text(
        dutch("%(name)s (%(organisation)s) is now in the care network.")
        % {"name": NURSE_NAME, "organisation": NURSE_ORGANISATION}
    )
    member = network.locator("li.list-group-item", has_text=NURSE_NAME)
    expect(member).to_have_count(1)
    expect(member).to_contain_text(NURSE_ORGANISATION)
    assert_accessible(page)

    # The GP (own practice: every category) sees the measurement on the medical tab.
    patient_tab(page, "Medical data").click()
    expect(page).to_have_url(re.compile(rf"/patienten/{patient.pk}/medisch/$"))
    measurements = page.locator("section[aria-labelledby=measurements-title]")
    expect(measurements).to_contain_text(chosen["measurement"])
    assert_accessible(page)

    # 3. The nurse, at another computer, finds the patient under Patiënten …
    nurse_page = other_computer()
    log_in_with_totp(nurse_page, nurse.email, totp_secret[nurse.pk])
    main_menu(nurse_page).get_by_role("link", name=dutch("Patients"), exact=True).click()
    expect(nurse_page).to_have_url(re.compile(r"/patienten/$"))
    expect(nurse_page.locator("#results > p").first).to_have_text(
        dutch_count("%(counter)s patient", "%(counter)s patients", 1)
    )
    assert_accessible(nurse_page)
    nurse_page.locator("#results").get_by_role("link", name=patient.formal_name).click()
    expect(nurse_page.get_by_role("heading", level=1)).to_have_text(patient.formal_name)
    expect(nurse_page.locator("header.patient-header")).to_contain_text(
        dutch("You see this patient as a member of the care network")
    )
    # … and sees episodes and medication, but the measurements are not shared with her kind.
    patient_tab(nurse_page, "Medical data").click()
    expect(nurse_page).to_have_url(re.compile(rf"/patienten/{patient.pk}/medisch/$"))
    not_shared = dutch("Not shared with your kind of organisation.")
    expect(nurse_page.locator("section[aria-labelledby=episodes-title]")).to_contain_text(
        chosen["episode"]
    )
    expect(nurse_page.locator("section[aria-labelledby=medication-title]")).to_contain_text(
        chosen["medication"]
    )
    nurse_measurements = nurse_page.locator("section[aria-labelledby=measurements-title]")
    expect(nurse_measurements).to_contain_text(not_shared)
    expect(nurse_measurements).to_contain_text("Niet gedeeld")
    expect(nurse_measurements.locator("table")).to_have_count(0)
    expect(nurse_page.locator("#main")).not_to_contain_text(chosen["measurement"])
    expect(nurse_page.locator("section[aria-labelledby=episodes-title]")).not_to_contain_text(
        not_shared
    )
    assert_accessible(nurse_page)
    assert nurse_page.console_errors == []

    # 4. The physiotherapist, outside the network, goes straight to the patient's URL: 404.
    physio_secret = totp_enable(physio)
    physio_page = other_computer()
    log_in_with_totp(physio_page, physio.email, physio_secret)
    response = physio_page.goto(f"/patienten/{patient.pk}/")
    assert response.status == 404
    expect(physio_page.get_by_role("heading", level=1)).to_have_text(dutch("Page not found"))
    expect(physio_page.get_by_role("heading", level=1)).to_contain_text("niet gevonden")
    expect(physio_page.locator("body")).not_to_contain_text(patient.surname)
    expect(physio_page.locator("body")).not_to_contain_text(patient.formal_name)
    physio_page.goto(f"/patienten/?q={patient.surname}")
    expect(physio_page.locator("#results > p").first).to_have_text(
        dutch_count("%(counter)s patient", "%(counter)s patients", 0)
    )
    expect(physio_page.locator("#results table")).to_have_count(0)
    expect(physio_page.locator("#results")).not_to_contain_text(patient.formal_name)

    # 5. The GP opens "Wie heeft dit dossier ingezien?" and sees the nurse's look …
    page.goto(f"/patienten/{patient.pk}/")
    patient_tab(page, "Who viewed this record?").click()
    expect(page).to_have_url(re.compile(rf"/patienten/{patient.pk}/inzage/$"))
    rows = page.locator("#main tbody tr")
    nurse_rows = rows.filter(has_text=NURSE_NAME)
    nurse_read = nurse_rows.filter(has_text=dutch(AccessAction.READ.label)).first
    expect(nurse_read).to_contain_text(NURSE_ORGANISATION)
    expect(nurse_read).to_contain_text("ingezien")
    expect(nurse_read).to_contain_text(dutch(AccessRelationship.CARE_NETWORK.label))
    expect(nurse_rows.filter(has_text=dutch(DataCategory.EPISODES.label)).first).to_be_visible()
    # … never with measurements (she was not shown any), while the GP's own look has them …
    expect(nurse_rows.filter(has_text=dutch(DataCategory.MEASUREMENTS.label))).to_have_count(0)
    expect(
        rows.filter(has_text=gp.full_name).filter(has_text=dutch(DataCategory.MEASUREMENTS.label))
    ).not_to_have_count(0)
    # … and the physiotherapist's attempt, refused.
    physio_row = rows.filter(has_text=PHYSIO_NAME)
    expect(physio_row).to_have_count(1)
    expect(physio_row).to_contain_text(PHYSIO_ORGANISATION)
    expect(physio_row).to_contain_text(dutch("refused"))
    expect(physio_row).to_have_class(re.compile(r"\btable-warning\b"))
    assert_accessible(page)
    assert page.console_errors == []


@pytest.fixture
def patient_with_medical_data(patient):
    """The ``patient`` fixture with some of everything, names as the HIS generator writes them."""
    EpisodeFactory(patient=patient, icpc_code="T90", title="Diabetes mellitus type 2")
    EpisodeFactory(patient=patient, icpc_code="K78", title="Atriumfibrilleren/-fladderen")
    MedicationFactory(patient=patient, name="Metformine 500 mg tablet", dosage="2 dd 1 tablet")
    MedicationFactory(
        patient=patient,
        name="Calciumcarbonaat/colecalciferol 1,25 g/800 IE kauwtablet",
        dosage="1 dd 1 kauwtablet",
        atc_code="A12AX",
    )
    ContraIndicationFactory(patient=patient, description="Penicilline")
    MeasurementFactory(patient=patient, name="HbA1c")
    return patient


def test_patient_pages_fit_a_phone(
    phone_page, gp, patient_with_medical_data, totp_secret, assert_accessible
):
    patient = patient_with_medical_data
    log_in_with_totp(phone_page, gp.email, totp_secret[gp.pk])
    for path, text, check_axe in (
        (f"/patienten/{patient.pk}/", "Diabetes mellitus type 2", True),
        (f"/patienten/{patient.pk}/zorgnetwerk/", dutch("Add a care provider"), True),
        # axe: see test_patient_tables_are_keyboard_scrollable_on_a_phone.
        (f"/patienten/{patient.pk}/medisch/", "Calciumcarbonaat/colecalciferol", False),
    ):
        phone_page.goto(path)
        expect(phone_page.locator("html")).to_have_attribute("lang", "nl")
        expect(phone_page.get_by_role("heading", level=1)).to_have_text(patient.formal_name)
        expect(phone_page.locator("ul.nav-tabs")).to_be_visible()
        expect(phone_page.locator("#main")).to_contain_text(text)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"{path} scrolls sideways on a phone ({width}px)"
        if check_axe:
            assert_accessible(phone_page)


def test_patient_tables_are_keyboard_scrollable_on_a_phone(
    phone_page, gp, patient_with_medical_data, totp_secret, assert_accessible
):
    patient = patient_with_medical_data
    log_in_with_totp(phone_page, gp.email, totp_secret[gp.pk])
    found = []
    for path in (f"/patienten/{patient.pk}/medisch/", f"/patienten/{patient.pk}/inzage/"):
        phone_page.goto(path)
        expect(phone_page.get_by_role("heading", level=1)).to_have_text(patient.formal_name)
        found += [f"{path}: {v}" for v in serious_violations(phone_page)]
    assert found == [], "\n".join(found)
