"""HIS extractions written the way other systems write them (issue 14), as a practice notices it.

Synthea R4 (transaction Bundles, ``urn:uuid:`` full URLs and references, SNOMED problems, a
blood-pressure panel), servers that use absolute URLs, Nictiz zib2020 (ICPC-1-NL, G-Standaard,
a MedicationStatement pointing at a Medication), searchset Bundles; patients that cannot be
matched safely; one bad patient deep in a large file; progress while the file is checked; the
import outside the request in the embedded mode.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from network.fhir import ICPC1NL_SYSTEM, ICPC2_SYSTEM, LOINC_SYSTEM, SNOMED_SYSTEM
from network.models import Episode, Extraction, Measurement, Medication, Patient, PatientSource
from referrals.models import CarePathway
from referrals.selectors import pathway_warnings
from tests.conversations.conftest import actor_for
from tests.factories import PatientFactory
from tests.network.test_extraction_import import (
    BSN_1,
    BSN_2,
    BSN_3,
    _errors,
    _nl,
    _uploaded,
    bundle,
    condition_resource,
    dumps,
    full_patient,
    medication_resource,
    observation_resource,
    patient_resource,
)

pytestmark = pytest.mark.django_db

SKIPPED = "Overgeslagen, omdat de patiënt niet geïmporteerd kon worden."


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def bp_panel(rid: str, subject: str, *, systolic=140, diastolic=90, unit="mm[Hg]") -> dict:
    """A blood pressure as Synthea and nl-core write it: a panel with two components."""

    def component(code, name, value):
        return {
            "code": {"coding": [{"system": LOINC_SYSTEM, "code": code, "display": name}]},
            "valueQuantity": {"value": value, "unit": unit, "code": "mm[Hg]"},
        }

    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {
            "coding": [{"system": LOINC_SYSTEM, "code": "85354-9", "display": "Blood pressure"}],
            "text": "Bloeddruk",
        },
        "subject": {"reference": subject},
        "effectiveDateTime": "2024-03-01T10:00:00+01:00",
        "component": [
            component("8480-6", "Systolic blood pressure", systolic),
            component("8462-4", "Diastolic blood pressure", diastolic),
        ],
    }


def snomed_condition(rid: str, subject: str) -> dict:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {
            "coding": [
                {"system": SNOMED_SYSTEM, "code": "44054006", "display": "Diabetes mellitus type 2"}
            ],
            "text": "Diabetes mellitus type 2",
        },
        "subject": {"reference": subject},
        "onsetDateTime": "2012-06-01",
    }


def _medical_page(client, patient) -> str:
    response = client.get(reverse("network:patient-medical", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- references by the Bundle rules ---------------------------------------------------------


def test_synthea_transaction_bundle_with_urn_uuid_references_is_imported_whole(upload):
    patient_url = _urn()
    patient = patient_resource(patient_url.rsplit(":", 1)[1], bsn=BSN_1)
    children = [
        snomed_condition(str(uuid.uuid4()), patient_url),
        bp_panel(str(uuid.uuid4()), patient_url),
        observation_resource(str(uuid.uuid4()), "ignored", value=53),
    ]
    children[2]["subject"] = {"reference": patient_url}
    # A POSTed resource may have no id of its own: its urn:uuid names it.
    no_id = condition_resource("x", "ignored", code="K86", title="Hypertensie")
    del no_id["id"]
    no_id["subject"] = {"reference": patient_url}
    no_id_url = _urn()
    entries = [(patient_url, patient)] + [(_urn(), c) for c in children] + [(no_id_url, no_id)]
    data = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": url,
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for url, resource in entries
        ],
    }

    extraction = _uploaded(upload(dumps(data)))

    assert extraction.status == Extraction.Status.DONE
    assert _errors(extraction) == []
    stored = Patient.objects.get()
    assert stored.bsn == BSN_1
    assert stored.episodes.count() == 2 and stored.measurements.count() == 2
    assert Episode.objects.filter(his_id=no_id_url.rsplit(":", 1)[1], icpc_code="K86").exists()
    html = _medical_page(upload.client, stored)
    assert "140/90 mmHg" in html
    assert "SNOMED 44054006" in html
    assert "53 mmol/mol" in html


@pytest.mark.parametrize("bundle_type", ["batch", "collection"])
def test_absolute_and_relative_references_resolve_against_the_full_url(upload, bundle_type):
    base = "https://his.example.nl/fhir/"
    first = condition_resource("c-1", "ignored")
    first["subject"] = {"reference": f"{base}Patient/1"}  # absolute, as the fullUrl
    second = observation_resource("o-1", "1")  # relative: against the base of its fullUrl
    versioned = medication_resource("m-1", "ignored")
    versioned["subject"] = {"reference": f"{base}Patient/1/_history/3"}
    data = {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [
            {"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r}
            for r in (patient_resource("1"), first, second, versioned)
        ],
    }

    extraction = _uploaded(upload(dumps(data)))

    assert _errors(extraction) == []
    patient = Patient.objects.get(his_id="1")
    assert patient.episodes.count() == patient.measurements.count() == 1
    assert patient.medications.count() == 1


def test_a_reference_to_another_server_is_not_taken_for_a_patient_in_the_file(upload):
    child = condition_resource("c-1", "ignored")
    child["subject"] = {"reference": "https://elders.example.nl/fhir/Patient/1"}
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "https://his.example.nl/fhir/Patient/1", "resource": patient_resource("1")},
            {"fullUrl": "https://his.example.nl/fhir/Condition/c-1", "resource": child},
        ],
    }

    extraction = _uploaded(upload(dumps(data)))

    assert _errors(extraction) == [
        {
            "resource": "Condition/c-1",
            "field": "subject",
            "message": "Verwijst naar een patiënt die niet in dit bestand staat.",
        }
    ]
    assert not Episode.objects.exists()


def test_searchset_takes_matches_and_includes_and_ignores_the_outcome(upload):
    data = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": observation_resource("o-1", "p-1"), "search": {"mode": "match"}},
            {"resource": patient_resource("p-1"), "search": {"mode": "include"}},
            {"resource": observation_resource("o-1", "p-1"), "search": {"mode": "match"}},
            {
                "resource": {"resourceType": "OperationOutcome", "issue": []},
                "search": {"mode": "outcome"},
            },
        ],
    }

    extraction = _uploaded(upload(dumps(data)))

    assert _errors(extraction) == []
    assert Measurement.objects.get().patient.his_id == "p-1"
    assert extraction.counts["ignored_resources"] == 1


# --- codes ----------------------------------------------------------------------------------


def test_icpc1nl_episode_keeps_its_subcode_and_the_care_pathway_sees_it(upload, gp):
    episode = condition_resource("p-1-ep1", "p-1")
    episode["code"] = {
        "coding": [
            {"system": ICPC2_SYSTEM, "code": "T90"},
            {"system": ICPC1NL_SYSTEM, "code": "T90.02", "display": "Diabetes mellitus type 2"},
        ]
    }

    extraction = _uploaded(upload(dumps(bundle(patient_resource("p-1"), episode))))

    assert _errors(extraction) == []
    stored = Episode.objects.get()
    assert (stored.icpc_code, stored.title) == ("T90.02", "Diabetes mellitus type 2")
    assert 'class="font-monospace">T90.02' in _medical_page(upload.client, stored.patient)
    from network.access import patient_access_for

    access = patient_access_for(actor=actor_for(gp), pk=stored.patient.pk)
    diabetes = CarePathway.objects.create(name="Diabetes", required_icpc=["T90"])
    copd = CarePathway.objects.create(name="COPD", required_icpc=["R95"])
    assert pathway_warnings(access=access, pathway=diabetes) == []
    assert pathway_warnings(access=access, pathway=copd) != []


def test_zib_medication_with_a_g_standaard_code_and_a_medication_resource(upload):
    statement = {
        "resourceType": "MedicationStatement",
        "id": "mu-1",
        "status": "active",
        "medicationReference": {"reference": "Medication/prod-1"},
        "subject": {"reference": "Patient/p-1"},
        "effectivePeriod": {"start": "2020-01-15"},
        "dosage": [{"text": "1 dd 1 tablet"}],
    }
    product = {
        "resourceType": "Medication",
        "id": "prod-1",
        "code": {
            "coding": [
                {"system": "urn:oid:2.16.840.1.113883.2.4.4.10", "code": "27065"},
                {"system": "http://www.whocc.no/atc", "code": "C09AA02"},
            ],
            "text": "Enalapril 10 mg tablet",
        },
    }

    extraction = _uploaded(upload(dumps(bundle(patient_resource("p-1"), statement, product))))

    assert _errors(extraction) == []
    medication = Medication.objects.get()
    assert (medication.name, medication.atc_code) == ("Enalapril 10 mg tablet", "C09AA02")
    assert (medication.gstandaard_kind, medication.gstandaard_code) == ("PRK", "27065")
    assert "PRK 27065" in _medical_page(upload.client, medication.patient)
    assert extraction.counts["ignored_resources"] == 0


def test_blood_pressure_panel_is_stored_with_both_values_and_again_unchanged(upload):
    data = dumps(bundle(patient_resource("p-1"), bp_panel("bp-1", "Patient/p-1")))

    first = _uploaded(upload(data))
    second = _uploaded(upload(data))

    measurement = Measurement.objects.get()
    assert (measurement.value, measurement.value2) == (Decimal("140"), Decimal("90"))
    assert (measurement.unit, measurement.loinc_code) == ("mmHg", "85354-9")
    assert measurement.display_value == "140/90 mmHg"
    assert first.counts["measurements"]["created"] == 1
    assert second.counts["measurements"]["unchanged"] == 1


# --- matching: never merge, never clear a BSN ---------------------------------------------------


def _stored_fields(patient: Patient) -> tuple:
    patient.refresh_from_db()
    return (patient.his_id, patient.bsn, patient.surname, patient.birth_date, patient.updated_at)


def test_same_his_number_with_another_bsn_is_refused_and_the_patient_unchanged(upload):
    _uploaded(upload(dumps(bundle(*full_patient("p-1", bsn=BSN_1)))))
    stored = Patient.objects.get()
    before = _stored_fields(stored)

    extraction = _uploaded(upload(dumps(bundle(*full_patient("p-1", bsn=BSN_2, surname="Bos")))))

    errors = {e["resource"]: e["message"] for e in _errors(extraction)}
    assert errors["Patient/p-1"] == (
        "De patiënt met HIS-nummer p-1 is bekend met een ander BSN. Niets van deze patiënt is "
        "geïmporteerd; is het BSN in het HIS verbeterd, verbeter het dan ook in Regiozorg."
    )
    assert errors["Condition/p-1-ep1"] == errors["Observation/p-1-obs1"] == SKIPPED
    assert _stored_fields(stored) == before
    assert extraction.counts["patients"]["refused"] == 1
    assert extraction.counts["episodes"]["refused"] == 1


def test_same_his_number_for_another_person_is_refused_and_the_patient_unchanged(upload):
    _uploaded(upload(dumps(bundle(patient_resource("p-1", bsn=BSN_1)))))
    stored = Patient.objects.get()
    before = _stored_fields(stored)
    other = patient_resource("p-1", bsn="", surname="Jansen", birth="1980-02-02")
    other["id"] = "another-resource-id"  # the HIS number (identifier) is still p-1

    extraction = _uploaded(upload(dumps(bundle(other))))

    assert _errors(extraction) == [
        {
            "resource": "Patient/another-resource-id",
            "field": "identifier",
            "message": "HIS-nummer p-1 hoort in Regiozorg bij een ander persoon (andere naam en "
            "geboortedatum). Niets van deze patiënt is geïmporteerd.",
        }
    ]
    assert _stored_fields(stored) == before
    assert Patient.objects.count() == 1


def test_two_patients_with_one_his_number_in_a_file_are_both_refused(upload):
    twin = patient_resource("p-1b", bsn=BSN_2, surname="Bos", birth="1970-01-01")
    twin["identifier"][1]["value"] = "p-1"  # the HIS number of the first
    data = bundle(
        patient_resource("p-1", bsn=BSN_1),
        twin,
        condition_resource("c-twin", "p-1b"),
        *full_patient("p-3", bsn=BSN_3),
    )

    extraction = _uploaded(upload(dumps(data)))

    errors = {e["resource"]: e["message"] for e in _errors(extraction)}
    message = "Een andere patiënt in dit bestand heeft hetzelfde HIS-nummer (p-1)."
    assert errors == {"Patient/p-1": message, "Patient/p-1b": message, "Condition/c-twin": SKIPPED}
    assert list(Patient.objects.values_list("his_id", flat=True)) == ["p-3"]


def test_a_patient_without_bsn_keeps_the_stored_bsn(upload):
    _uploaded(upload(dumps(bundle(patient_resource("p-1", bsn=BSN_1)))))

    extraction = _uploaded(upload(dumps(bundle(patient_resource("p-1", bsn="")))))

    assert _errors(extraction) == []
    assert Patient.objects.get().bsn == BSN_1
    assert extraction.counts["patients"]["unchanged"] == 1


def test_bsn_of_one_patient_and_his_number_of_another_is_refused(upload):
    _uploaded(
        upload(
            dumps(bundle(patient_resource("p-1", bsn=BSN_1), patient_resource("p-2", bsn=BSN_2)))
        )
    )
    before = {p.pk: _stored_fields(p) for p in Patient.objects.all()}

    extraction = _uploaded(upload(dumps(bundle(patient_resource("p-1", bsn=BSN_2)))))

    assert [e["message"] for e in _errors(extraction)] == [
        "Dit BSN hoort bij een andere patiënt van de praktijk dan HIS-nummer p-1. Niets van "
        "deze patiënt is geïmporteerd."
    ]
    assert {p.pk: _stored_fields(p) for p in Patient.objects.all()} == before


def test_no_bsn_and_a_hand_typed_namesake_is_refused_not_duplicated(upload, practice):
    typed = PatientFactory(
        practice=practice, his_id="", bsn=BSN_1, surname="Meer", source=PatientSource.MANUAL
    )
    typed.birth_date = typed.birth_date.replace(year=1941, month=3, day=14)
    typed.save()
    before = _stored_fields(typed)

    extraction = _uploaded(upload(dumps(bundle(patient_resource("p-1", bsn="")))))

    assert _errors(extraction)[0]["message"].startswith(
        "Een met de hand toegevoegde patiënt heeft dezelfde naam en geboortedatum"
    )
    assert Patient.objects.count() == 1
    assert _stored_fields(typed) == before


# --- one bad patient deep in a large file --------------------------------------------------------


def _large_file() -> dict:
    resources = []
    for n in range(1, 301):
        pid = f"p-{n:03d}"
        resources += [patient_resource(pid, bsn=""), observation_resource(f"{pid}-obs", pid)]
    bad_date = observation_resource("obs-260", "p-260")
    bad_date["effectiveDateTime"] = "0001-01-01T00:00:00+14:00"  # valid FHIR; year 0 in UTC
    # A value the database refuses although the FHIR is valid: a NUL character in a text.
    nul = observation_resource("obs-150", "p-150", value=None, valueString="hoog\u0000")
    del nul["valueQuantity"]
    lost = [condition_resource(f"lost-{n:03d}", "p-999") for n in range(150)]
    return bundle(*resources, bad_date, nul, *lost)


def test_errors_deep_in_a_large_file_name_resource_and_field_and_the_rest_is_imported(
    upload, django_assert_max_num_queries
):
    extraction = _uploaded(upload(dumps(_large_file())))

    assert extraction.status == Extraction.Status.DONE
    assert Patient.objects.count() == 299  # all but p-150, whose data the database refused
    assert not Patient.objects.filter(his_id="p-150").exists()
    assert Patient.objects.get(his_id="p-260").measurements.count() == 1  # the good one
    errors = _errors(extraction)
    by_ref = {e["resource"]: e for e in errors}
    assert by_ref["Observation/obs-260"] == {
        "resource": "Observation/obs-260",
        "field": "effectiveDateTime",
        "message": "“0001-01-01T00:00:00+14:00” ligt buiten de datums die opgeslagen kunnen "
        "worden.",
    }
    assert by_ref["Observation/obs-150"]["message"].startswith("De database weigerde")
    assert by_ref["Patient/p-150"]["message"] == (
        "Niet geïmporteerd, omdat Observation/obs-150 niet opgeslagen kon worden."
    )
    assert by_ref["Observation/p-150-obs"]["message"] == SKIPPED
    assert by_ref["Condition/lost-000"]["field"] == "subject"
    assert len(errors) == extraction.error_count == 154
    counts = extraction.counts
    assert counts["patients"] == {
        "created": 299,
        "updated": 0,
        "unchanged": 0,
        "removed": 0,
        "refused": 1,
    }
    assert (counts["measurements"]["created"], counts["measurements"]["refused"]) == (299, 3)
    assert counts["episodes"]["refused"] == 150

    # The page: the real count, and every error on one of two pages (100 a page).
    url = reverse("network:extraction-detail", args=[extraction.pk])
    pages = []
    for page in (1, 2):
        with django_assert_max_num_queries(12):  # session, user, extraction, count, one page
            pages.append(upload.client.get(url, {"page": page}).content.decode())
    assert "154 onderdelen niet geïmporteerd" in pages[0]
    assert "Pagina 1 van 2" in pages[0] and "Pagina 2 van 2" in pages[1]
    shown = [page.count('<li><span class="font-monospace">') for page in pages]
    assert shown == [100, 54]
    assert "Observation/obs-260</span>, <span" in "".join(pages)


def test_a_database_refusal_in_a_batch_costs_only_that_patient(upload, monkeypatch):
    monkeypatch.setattr("network.services.extractions.BATCH_SIZE", 50)
    nul = patient_resource("p-2", bsn=BSN_2, city="Dokkum\u0000")
    data = bundle(*full_patient("p-1", bsn=BSN_1), nul, *full_patient("p-3", bsn=BSN_3)[1:])

    extraction = _uploaded(upload(dumps(data)))

    assert set(Patient.objects.values_list("his_id", flat=True)) == {"p-1"}
    errors = {e["resource"]: e["message"] for e in _errors(extraction)}
    assert errors["Patient/p-2"].startswith("De database weigerde deze gegevens (")
    assert extraction.counts["patients"]["created"] == 1
    assert extraction.counts["patients"]["refused"] == 1


# --- progress ------------------------------------------------------------------------------------


def test_checking_progress_is_committed_while_the_file_is_validated(upload, monkeypatch):
    monkeypatch.setattr("network.fhir.PROGRESS_EVERY", 4)
    from network.services import extractions

    seen = []
    original = extractions.bundle_parse

    def watching(bundle, *, progress):
        def report(number):
            progress(number)
            seen.append(Extraction.objects.values_list("status", "resources_checked").get())

        return original(bundle, progress=report)

    monkeypatch.setattr(extractions, "bundle_parse", watching)
    data = bundle(*full_patient("p-1"), *full_patient("p-2", bsn=BSN_2))

    extraction = _uploaded(upload(dumps(data)))

    assert seen == [("checking", 4), ("checking", 8), ("checking", 10)]
    assert (extraction.resources_checked, extraction.resources_total) == (10, 10)


def test_the_page_shows_the_checking_phase(secure_client, gp, practice):
    extraction = Extraction.objects.create(
        practice=practice,
        uploaded_by=gp,
        file_name="extractie.json",
        size=2,
        sha256="0" * 64,
        content=b"{}",
        status=Extraction.Status.CHECKING,
        total=5000,
        resources_total=76000,
        resources_checked=19000,
    )
    url = reverse("network:extraction-detail", args=[extraction.pk])
    html = secure_client(gp).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>Controleren</strong> – 19000 van 76000 onderdelen" in html
    assert 'value="25"' in html and 'hx-trigger="every 1s"' in html
    assert _nl("%(done)s of %(total)s resources", done=19000, total=76000) in html


# --- the embedded mode: the import runs outside the request --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_in_the_embedded_mode_the_upload_returns_before_the_import_is_done(
    secure_client, gp, settings, monkeypatch
):
    settings.EXTRACTION_IMPORT_IN_THREAD = True
    from network.services import extractions

    release = threading.Event()
    original = extractions.bundle_parse

    def slow(bundle, *, progress):
        assert release.wait(20), "the test never released the import"
        return original(bundle, progress=progress)

    monkeypatch.setattr(extractions, "bundle_parse", slow)
    client = secure_client(gp)

    response = client.post(
        reverse("network:extraction-list"),
        {"file": _upload_file(dumps(bundle(*full_patient("p-1"))))},
    )

    extraction = _uploaded(response)
    assert extraction.status in (Extraction.Status.QUEUED, Extraction.Status.CHECKING)
    release.set()
    deadline = time.monotonic() + 20
    while not extraction.is_finished and time.monotonic() < deadline:
        time.sleep(0.05)
        extraction.refresh_from_db()
    assert extraction.status == Extraction.Status.DONE
    assert Patient.objects.get().measurements.count() == 1


def _upload_file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("extractie.json", data, content_type="application/json")


def test_an_import_the_embedded_server_left_unfinished_is_finished_by_the_next_make_run(
    gp, settings
):
    """``make run`` stopped while its import thread was reading a file in: the extraction
    stayed "reading in". The next ``make run`` (``demo_seed``) finishes it."""
    from django.core.management import call_command

    from network.services.extractions import extraction_upload

    settings.EXTRACTION_IMPORT_IN_THREAD = True
    # Stored, but its thread never ran (the server stopped first): no on_commit here.
    extraction = extraction_upload(
        actor=actor_for(gp), file_name="extractie.json", content=dumps(bundle(*full_patient("p-1")))
    )
    Extraction.objects.filter(pk=extraction.pk).update(status=Extraction.Status.RUNNING)

    out = io.StringIO()
    call_command("demo_seed", stdout=out)

    extraction.refresh_from_db()
    assert extraction.status == Extraction.Status.DONE
    assert Patient.objects.filter(
        practice=gp.memberships.first().organisation, his_id="p-1"
    ).exists()
    assert "Finished 1 HIS extraction import(s) left unfinished." in out.getvalue()
