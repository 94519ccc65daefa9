"""Uploading a HIS extraction (FHIR R4 Bundle) and importing it, as a practice notices it.

Through the page: the upload form, the extraction page with its progress bar and result table,
and the patients, episodes, medication, contra-indications and measurements that appear. Bad
files are refused with a message and leave nothing behind; a file imported twice changes
nothing; a changed file changes exactly what changed.

Dutch texts: every message is checked in full through :func:`_nl` (what the compiled catalog
gives for ``nl``), and the Dutch a practice reads is asserted literally as well (short fragments
of the msgstr, so a rewording elsewhere in a sentence does not break the test).

Celery runs eagerly in tests; the import is queued with ``transaction.on_commit``, so every
upload runs inside ``django_capture_on_commit_callbacks(execute=True)``.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import gettext

from accounts.validators import bsn_is_valid
from network import services
from network.fhir import (
    ATC_SYSTEM,
    BSN_SYSTEM,
    HIS_PATIENT_SYSTEM,
    ICPC2_SYSTEM,
    LOINC_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
)
from network.models import (
    AccessAction,
    AccessLogEntry,
    ContraIndication,
    Episode,
    Extraction,
    Measurement,
    Medication,
    Patient,
    PatientSource,
)
from tests.factories import PatientFactory

try:  # written by a colleague in parallel; fall back to hand-made bundles without it
    from tools.extraction import generate_bundle, resource_counts
except ImportError:  # pragma: no cover
    generate_bundle = resource_counts = None

pytestmark = pytest.mark.django_db

LIST_URL = "network:extraction-list"
AGB = "01012345"  # De Linde, the ``practice`` fixture
CHILD_MODELS = {
    "episodes": Episode,
    "medications": Medication,
    "contra_indications": ContraIndication,
    "measurements": Measurement,
}
RESOURCE_KIND = {
    "Patient": "patients",
    "Condition": "episodes",
    "MedicationStatement": "medications",
    "AllergyIntolerance": "contra_indications",
    "Observation": "measurements",
}
needs_generator = pytest.mark.skipif(
    generate_bundle is None, reason="tools.extraction is not available"
)


# --- helpers ------------------------------------------------------------------------------------


def _test_bsns(count: int, *, start: int = 0) -> list[str]:
    """BSNs from the test range (9999…) that pass the eleven test, computed, not guessed."""
    found, number = [], start
    while len(found) < count:
        candidate = f"99999{number:04d}"
        if bsn_is_valid(candidate):
            found.append(candidate)
        number += 1
    return found


BSN_1, BSN_2, BSN_3, BSN_4 = _test_bsns(4)
BAD_BSN = next(f"99999{n:04d}" for n in range(20, 200) if not bsn_is_valid(f"99999{n:04d}"))


def _nl(message: str, **params) -> str:
    """``message`` as the Dutch catalog renders it now, HTML-escaped as the page shows it."""
    with translation.override("nl"):
        text = gettext(message)
    return escape(text % params if params else text)


def _nl_label(label) -> str:
    with translation.override("nl"):
        return escape(str(label))


def patient_resource(
    pid: str,
    *,
    bsn: str = BSN_1,
    given=("Geertje", "Anna"),
    infix: str = "van der",
    surname: str = "Meer",
    birth: str = "1941-03-14",
    gender: str = "female",
    street: str = "Mounewei 7",
    postal_code: str = "9051bk",
    city: str = "Stiens",
    phone: str = "06 41872035",
) -> dict:
    own = [{"url": OWN_NAME_URL, "valueString": surname}]
    if infix:
        own.insert(0, {"url": OWN_PREFIX_URL, "valueString": infix})
    identifiers = [{"system": HIS_PATIENT_SYSTEM, "value": pid}]
    if bsn:
        identifiers.insert(0, {"system": BSN_SYSTEM, "value": bsn})
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": identifiers,
        "name": [
            {
                "use": "official",
                "family": f"{infix} {surname}" if infix else surname,
                "_family": {"extension": own},
                "given": list(given),
            }
        ],
        "telecom": [{"system": "phone", "value": phone, "use": "mobile"}],
        "gender": gender,
        "birthDate": birth,
        "address": [{"use": "home", "line": [street], "postalCode": postal_code, "city": city}],
    }


def condition_resource(
    rid: str, pid: str, *, code="T90", title="Diabetes mellitus type 2", onset="2015-04-01"
) -> dict:
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
        "code": {"coding": [{"system": ICPC2_SYSTEM, "code": code, "display": title}]},
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset,
    }


def medication_resource(
    rid: str,
    pid: str,
    *,
    atc="A10BA02",
    text="Metformine 500 mg tablet",
    dosage="2 dd 1 tablet",
    start="2015-04-10",
) -> dict:
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": ATC_SYSTEM, "code": atc, "display": "metformine"}],
            "text": text,
        },
        "subject": {"reference": f"Patient/{pid}"},
        "effectivePeriod": {"start": start},
        "dosage": [{"text": dosage}],
    }


def allergy_resource(rid: str, pid: str) -> dict:
    return {
        "resourceType": "AllergyIntolerance",
        "id": rid,
        "type": "allergy",
        "criticality": "high",
        "code": {
            "coding": [{"system": ATC_SYSTEM, "code": "J01CA04", "display": "amoxicilline"}],
            "text": "Amoxicilline",
        },
        "patient": {"reference": f"Patient/{pid}"},
        "recordedDate": "2010-06-01",
    }


def observation_resource(
    rid: str, pid: str, *, value=53, unit="mmol/mol", status="final", **extra
) -> dict:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": status,
        "code": {"coding": [{"system": LOINC_SYSTEM, "code": "4548-4"}], "text": "HbA1c"},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2024-05-02T09:30:00+02:00",
        "valueQuantity": {"value": value, "unit": unit},
        **extra,
    }


def bundle(*resources: dict, agb: str = AGB) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "meta": {"source": f"urn:agb:{agb}"},
        "entry": [{"resource": r} for r in resources],
    }


def full_patient(pid: str, **fields) -> list[dict]:
    """A patient with one episode, medication, contra-indication and measurement."""
    return [
        patient_resource(pid, **fields),
        condition_resource(f"{pid}-ep1", pid),
        medication_resource(f"{pid}-med1", pid),
        allergy_resource(f"{pid}-ci1", pid),
        observation_resource(f"{pid}-obs1", pid),
    ]


def small_bundle() -> dict:
    return bundle(
        *full_patient("p-1", bsn=BSN_1),
        *full_patient(
            "p-2",
            bsn=BSN_2,
            given=("Sjoerd",),
            infix="",
            surname="Dijkstra",
            birth="1956-08-02",
            gender="male",
            street="Dorpsstraat 3",
            postal_code="9101 aa",
            city="Dokkum",
        ),
    )


def realistic_bundle(patients: int = 12, seed: int = 3) -> dict:
    if generate_bundle is None:  # pragma: no cover
        return small_bundle()
    return generate_bundle(patients=patients, seed=seed, practice_agb=AGB)


def dumps(data) -> bytes:
    return json.dumps(data).encode()


def _entry(data: dict, ref: str) -> dict:
    kind, rid = ref.split("/", 1)
    return next(
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == kind and e["resource"]["id"] == rid
    )


def _kind_counts(data: dict) -> dict[str, int]:
    counts = dict.fromkeys(RESOURCE_KIND.values(), 0)
    for entry in data["entry"]:
        counts[RESOURCE_KIND[entry["resource"]["resourceType"]]] += 1
    return counts


ROW = re.compile(
    r'<tr><th scope="row">([^<]*)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>\d+</td>'
    r"<td>\d+</td></tr>"
)


def _result_table(html: str) -> dict[str, tuple[int, int, int]]:
    """The result table on the extraction page: label -> (new, changed, unchanged)."""
    return {label: (int(a), int(b), int(c)) for label, a, b, c in ROW.findall(html)}


def _expected_table(counts: dict) -> dict[str, tuple[int, int, int]]:
    labels = {
        "patients": "Patients",
        "episodes": "Episodes",
        "medications": "Medication",
        "contra_indications": "Contra-indications",
        "measurements": "Measurements",
    }
    return {
        _nl(label): (counts[k]["created"], counts[k]["updated"], counts[k]["unchanged"])
        for k, label in labels.items()
    }


def _row_counts() -> dict[str, int]:
    return {
        "patients": Patient.objects.count(),
        **{kind: model.objects.count() for kind, model in CHILD_MODELS.items()},
    }


def _patient_log_entries(**filters):
    return AccessLogEntry.objects.filter(
        patient__isnull=False,
        action__in=[AccessAction.CREATE, AccessAction.UPDATE],
        **filters,
    )


def _uploaded(response) -> Extraction:
    assert response.status_code == 302, response.content[:2000]
    extraction = Extraction.objects.order_by("-pk").first()
    assert response["Location"] == reverse("network:extraction-detail", args=[extraction.pk])
    return extraction


def _errors(extraction: Extraction) -> list[dict]:
    """The refused resources of ``extraction``, as the page lists them, in order."""
    return list(extraction.error_rows.order_by("pk").values("resource", "field", "message"))


def _make_extraction(practice, user, **fields) -> Extraction:
    values = {"file_name": "extractie.json", "size": 2, "sha256": "0" * 64, "content": b"{}"}
    return Extraction.objects.create(practice=practice, uploaded_by=user, **{**values, **fields})


# --- 1. a good file through the page -----------------------------------------------------------


def test_upload_imports_patients_with_their_medical_data(upload, gp, practice):
    response = upload(dumps(small_bundle()))

    extraction = _uploaded(response)
    assert extraction.status == Extraction.Status.DONE
    assert (extraction.total, extraction.processed) == (2, 2)
    assert _errors(extraction) == []
    assert extraction.uploaded_by == gp and extraction.practice == practice

    # The extraction page: done, 100 %, and what was imported.
    page = upload.client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert capfirst(_nl_label(Extraction.Status.DONE.label)) in html
    assert "<strong>Klaar</strong>" in html
    assert 'value="100"' in html and "100%" in html
    assert 'hx-trigger="every 1s"' not in html
    table = _result_table(html)
    assert table == _expected_table(extraction.counts)
    assert table == {
        "Patiënten": (2, 0, 0),
        "Episodes": (2, 0, 0),
        "Medicatie": (2, 0, 0),
        "Contra-indicaties": (2, 0, 0),
        "Meetwaarden": (2, 0, 0),
    }
    assert "Resultaat" in html and "ongewijzigd" in html

    # The patients, as the practice typed them into the HIS.
    meer = Patient.objects.get(practice=practice, his_id="p-1")
    assert meer.name == "Geertje van der Meer"
    assert meer.formal_name == "Meer, G.A. van der"
    assert (meer.bsn, meer.initials, meer.first_name) == (BSN_1, "G.A.", "Geertje")
    assert (meer.infix, meer.surname, meer.gender) == ("van der", "Meer", "female")
    assert meer.birth_date == datetime.date(1941, 3, 14)
    assert meer.address == "Mounewei 7, 9051 BK Stiens"  # postal code normalised
    assert meer.phone == "06 41872035"
    assert meer.source == PatientSource.HIS
    assert meer.is_visible is False  # new patients stay invisible to partners
    dijkstra = Patient.objects.get(practice=practice, his_id="p-2")
    assert (dijkstra.name, dijkstra.infix, dijkstra.bsn) == ("Sjoerd Dijkstra", "", BSN_2)
    assert (dijkstra.postal_code, dijkstra.gender) == ("9101 AA", "male")

    episode = meer.episodes.get()
    assert (episode.his_id, episode.icpc_code, episode.title) == (
        "p-1-ep1",
        "T90",
        "Diabetes mellitus type 2",
    )
    assert episode.status == Episode.Status.ACTIVE
    assert episode.start_date == datetime.date(2015, 4, 1)
    medication = meer.medications.get()
    assert (medication.atc_code, medication.name, medication.dosage) == (
        "A10BA02",
        "Metformine 500 mg tablet",
        "2 dd 1 tablet",
    )
    assert medication.status == Medication.Status.ACTIVE
    assert medication.start_date == datetime.date(2015, 4, 10)
    contra = meer.contra_indications.get()
    assert (contra.description, contra.code, contra.kind) == ("Amoxicilline", "J01CA04", "allergy")
    assert contra.is_high_risk is True
    assert contra.recorded_date == datetime.date(2010, 6, 1)
    measurement = meer.measurements.get()
    assert (measurement.loinc_code, measurement.name) == ("4548-4", "HbA1c")
    assert (measurement.value, measurement.unit) == (Decimal("53"), "mmol/mol")
    assert measurement.display_value == "53 mmol/mol"
    assert measurement.measured_at == datetime.datetime(2024, 5, 2, 7, 30, tzinfo=datetime.UTC)
    assert _row_counts() == dict.fromkeys(_row_counts(), 2)

    # Every new patient is in the access log, with the data that was written.
    entry = _patient_log_entries(patient=meer).get()
    assert entry.action == AccessAction.CREATE
    assert entry.user == gp
    assert entry.object_ref == f"extraction:{extraction.pk}"
    assert set(entry.data.split(",")) == {
        "identity",
        "episodes",
        "medication",
        "contra_indications",
        "measurements",
    }

    # ... and the patient list shows them.
    patients = upload.client.get(reverse("network:patient-list")).content.decode()
    assert "Meer, G.A. van der" in patients and "Dijkstra, S." in patients


@needs_generator
def test_realistic_file_is_imported_completely_across_batches(upload, monkeypatch):
    monkeypatch.setattr("network.services.extractions.BATCH_SIZE", 7)
    data = realistic_bundle(patients=30, seed=11)

    extraction = _uploaded(upload(dumps(data)))

    assert extraction.status == Extraction.Status.DONE
    assert _errors(extraction) == []
    assert (extraction.total, extraction.processed) == (30, 30)
    expected = _kind_counts(data)
    assert _row_counts() == expected
    for kind, number in expected.items():
        assert extraction.counts[kind] == {
            "created": number,
            "updated": 0,
            "unchanged": 0,
            "removed": 0,
            "refused": 0,
        }
    html = upload.client.get(reverse("network:extraction-detail", args=[extraction.pk])).content
    assert _result_table(html.decode()) == _expected_table(extraction.counts)
    # One access-log line per new patient.
    assert _patient_log_entries(action=AccessAction.CREATE).count() == 30
    # Spot check one patient against its resource.
    resource = _entry(data, "Patient/0001")
    patient = Patient.objects.get(his_id="0001")
    assert patient.bsn == resource["identifier"][0]["value"]
    assert patient.birth_date.isoformat() == resource["birthDate"]
    assert patient.postal_code == resource["address"][0]["postalCode"]


# --- 2. the same file twice ---------------------------------------------------------------------


@needs_generator
def test_importing_the_same_file_twice_changes_nothing(upload, monkeypatch):
    monkeypatch.setattr("network.services.extractions.BATCH_SIZE", 5)
    data = dumps(realistic_bundle(patients=12, seed=3))
    first = _uploaded(upload(data))
    assert first.status == Extraction.Status.DONE
    rows = _row_counts()
    stamps = dict(Patient.objects.values_list("pk", "updated_at"))
    logged = _patient_log_entries().count()
    assert logged == 12

    second = _uploaded(upload(data))

    assert second.pk != first.pk
    assert second.status == Extraction.Status.DONE
    assert _errors(second) == []
    for kind, number in rows.items():
        assert second.counts[kind] == {
            "created": 0,
            "updated": 0,
            "unchanged": number,
            "removed": 0,
            "refused": 0,
        }
    assert _row_counts() == rows
    assert dict(Patient.objects.values_list("pk", "updated_at")) == stamps
    assert _patient_log_entries().count() == logged
    assert not _patient_log_entries(object_ref=f"extraction:{second.pk}").exists()
    html = upload.client.get(reverse("network:extraction-detail", args=[second.pk])).content
    table = _result_table(html.decode())
    assert table and all(new == 0 and changed == 0 for new, changed, _u in table.values())


# --- 3. a changed file --------------------------------------------------------------------------


@needs_generator
def test_changed_file_updates_exactly_what_changed(upload, practice):
    data = realistic_bundle(patients=12, seed=5)
    first = _uploaded(upload(dumps(data)))
    assert first.status == Extraction.Status.DONE
    rows = _row_counts()
    stamps = dict(Patient.objects.values_list("his_id", "updated_at"))

    changed = copy.deepcopy(data)
    moved = _entry(changed, "Patient/0003")
    moved["address"] = [
        {"use": "home", "line": ["Nieuwe Weg 12"], "postalCode": "8911ab", "city": "Leeuwarden"}
    ]
    changed["entry"].append({"resource": medication_resource("0005-med-new", "0005")})
    second = _uploaded(upload(dumps(changed)))

    assert second.status == Extraction.Status.DONE
    assert second.counts["patients"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 11,
        "removed": 0,
        "refused": 0,
    }
    assert second.counts["medications"] == {
        "created": 1,
        "updated": 0,
        "unchanged": rows["medications"],
        "removed": 0,
        "refused": 0,
    }
    for kind in ("episodes", "contra_indications", "measurements"):
        assert second.counts[kind] == {
            "created": 0,
            "updated": 0,
            "unchanged": rows[kind],
            "removed": 0,
            "refused": 0,
        }
    assert _row_counts() == {**rows, "medications": rows["medications"] + 1}

    patient = Patient.objects.get(practice=practice, his_id="0003")
    assert patient.address == "Nieuwe Weg 12, 8911 AB Leeuwarden"
    assert patient.updated_at > stamps["0003"]
    others = dict(Patient.objects.values_list("his_id", "updated_at"))
    assert {k: v for k, v in others.items() if k != "0003"} == {
        k: v for k, v in stamps.items() if k != "0003"
    }
    new_med = Medication.objects.get(his_id="0005-med-new")
    assert (new_med.patient.his_id, new_med.atc_code) == ("0005", "A10BA02")

    lines = {
        (e.patient.his_id, e.action, e.data)
        for e in _patient_log_entries(object_ref=f"extraction:{second.pk}")
    }
    assert lines == {
        ("0003", AccessAction.UPDATE, "identity"),
        ("0005", AccessAction.UPDATE, "medication"),
    }
    html = upload.client.get(reverse("network:extraction-detail", args=[second.pk])).content
    assert _result_table(html.decode())["Patiënten"] == (0, 1, 11)


# --- 4. a patient typed in by hand --------------------------------------------------------------


def test_hand_entered_patient_is_linked_not_duplicated(upload, practice):
    manual = PatientFactory(
        practice=practice,
        his_id="",
        bsn=BSN_1,
        source=PatientSource.MANUAL,
        initials="G.",
        first_name="Geertje",
        infix="",
        surname="van der Meer",
        birth_date=datetime.date(1941, 3, 14),
        postal_code="",
    )

    extraction = _uploaded(upload(dumps(small_bundle())))

    assert extraction.status == Extraction.Status.DONE
    assert Patient.objects.filter(practice=practice, bsn=BSN_1).count() == 1
    assert Patient.objects.filter(practice=practice).count() == 2
    manual.refresh_from_db()
    assert (manual.his_id, manual.source) == ("p-1", PatientSource.HIS)
    assert (manual.infix, manual.surname, manual.postal_code) == ("van der", "Meer", "9051 BK")
    assert manual.episodes.count() == 1 and manual.medications.count() == 1
    assert extraction.counts["patients"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "removed": 0,
        "refused": 0,
    }
    entry = _patient_log_entries(patient=manual).get()
    assert entry.action == AccessAction.UPDATE
    assert "identity" in entry.data.split(",")


# --- 5. bad files: refused as a whole -----------------------------------------------------------


def _assert_refused(response, message: str):
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html, html[:3000]
    assert _nl("The file has not been imported.") in html
    assert "Het bestand is niet geïmporteerd." in html
    assert Extraction.objects.count() == 0
    assert Patient.objects.count() == 0
    assert not AccessLogEntry.objects.filter(action=AccessAction.CREATE).exists()


# The Dutch a practice reads (fragments of the msgstr, so rewording elsewhere does not break).
DUTCH = {
    "This file is not JSON. Upload the FHIR extraction from your HIS.": "geen JSON",
    "This file is not a FHIR Bundle. Upload the FHIR extraction from your HIS.": (
        "geen FHIR-Bundle"
    ),
    "This FHIR Bundle has an unknown type.": "onbekend type",
    "This FHIR Bundle holds no resources.": "bevat geen gegevens",
    "This FHIR Bundle holds no patients.": "bevat geen patiënten",
    "This extraction comes from another practice (AGB code %(agb)s).": (
        "andere huisartsenpraktijk (AGB-code 09999999)"
    ),
    "Upload a .json file: the FHIR extraction from your HIS.": ".json-bestand",
}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param(
            "extractie.json",
            b"hallo",
            ("This file is not JSON. Upload the FHIR extraction from your HIS.", {}),
            id="text",
        ),
        pytest.param(
            "extractie.json",
            PDF,
            ("This file is not JSON. Upload the FHIR extraction from your HIS.", {}),
            id="pdf-bytes",
        ),
        pytest.param(
            "extractie.json",
            b'{"resourceType":"Patient"}',
            ("This file is not a FHIR Bundle. Upload the FHIR extraction from your HIS.", {}),
            id="not-a-bundle",
        ),
        pytest.param(
            "extractie.json",
            b"[1, 2, 3]",
            ("This file is not a FHIR Bundle. Upload the FHIR extraction from your HIS.", {}),
            id="json-list",
        ),
        pytest.param(
            "extractie.json",
            dumps({**bundle(patient_resource("p-1")), "type": "message"}),
            ("This FHIR Bundle has an unknown type.", {}),
            id="unknown-bundle-type",
        ),
        pytest.param(
            "extractie.json",
            dumps(bundle()),
            ("This FHIR Bundle holds no resources.", {}),
            id="empty-bundle",
        ),
        pytest.param(
            "extractie.json",
            dumps(bundle(condition_resource("c-1", "p-1"), medication_resource("m-1", "p-1"))),
            ("This FHIR Bundle holds no patients.", {}),
            id="no-patients",
        ),
        pytest.param(
            "extractie.json",
            dumps(bundle(*full_patient("p-1"), agb="09999999")),
            (
                "This extraction comes from another practice (AGB code %(agb)s).",
                {"agb": "09999999"},
            ),
            id="other-practice",
        ),
        pytest.param(
            "extractie.txt",
            dumps(small_bundle()),
            ("Upload a .json file: the FHIR extraction from your HIS.", {}),
            id="txt-name",
        ),
    ],
)
def test_bad_file_is_refused_with_a_message_and_nothing_imported(upload, name, data, message):
    msgid, params = message
    response = upload(data, name=name)
    _assert_refused(response, _nl(msgid, **params))
    assert DUTCH[msgid] in response.content.decode()


def test_empty_file_is_refused(upload):
    response = upload(b"")
    _assert_refused(response, _nl("The file is empty."))
    assert "Het bestand is leeg." in response.content.decode()  # msgstr exists


def test_file_over_the_configured_limit_is_refused(upload, settings):
    settings.EXTRACTION_MAX_BYTES = 1000
    data = dumps(bundle(patient_resource("p-1")))
    data = data + b" " * (2000 - len(data))  # a good file, only too big
    assert len(data) == 2000

    response = upload(data)

    with translation.override("nl"):
        size, limit = filesizeformat(2000), filesizeformat(1000)
    _assert_refused(
        response,
        _nl(
            "The file is %(size)s; the limit is %(limit)s. Nothing has been imported.",
            size=size,
            limit=limit,
        ),
    )
    assert "te groot" in response.content.decode()


def test_100_mb_upload_is_refused_with_the_default_limit(upload, settings):
    size = 100 * 1024 * 1024
    assert size > settings.EXTRACTION_MAX_BYTES  # the default limit (64 MB)

    response = upload(b"{" + b" " * (size - 1))

    with translation.override("nl"):
        shown_size = filesizeformat(size)
        shown_limit = filesizeformat(settings.EXTRACTION_MAX_BYTES)
    _assert_refused(
        response,
        _nl(
            "The file is %(size)s; the limit is %(limit)s. Nothing has been imported.",
            size=shown_size,
            limit=shown_limit,
        ),
    )
    assert "te groot (100,0\xa0MB)" in response.content.decode()


def test_service_refuses_content_over_the_limit_even_without_the_form(gp, settings):
    from network.access import Actor

    settings.EXTRACTION_MAX_BYTES = 1000
    actor = Actor(user=gp, membership=gp.memberships.get())
    with pytest.raises(services.ExtractionRejected):
        services.extraction_upload(
            actor=actor, file_name="extractie.json", content=dumps(small_bundle())
        )
    assert Extraction.objects.count() == 0


# --- 6. bad resources inside a good file --------------------------------------------------------


def test_invalid_resources_are_listed_and_the_rest_is_imported(upload, practice):
    bad_condition = condition_resource("p-1-bad", "p-1")
    bad_condition["clinicalStatus"] = "active"  # a string, not a CodeableConcept
    bad_observation = observation_resource("p-1-obs-bad", "p-1", value="veel")
    data = bundle(
        *full_patient("p-1", bsn=BSN_1),
        bad_condition,
        bad_observation,
        # a patient whose BSN fails the eleven test, with all four kinds of children
        *full_patient("p-2", bsn=BAD_BSN, surname="Zwart", infix=""),
        *full_patient("p-3", bsn=BSN_3, surname="Visser", infix=""),
        medication_resource("orphan-med", "p-404"),
    )

    extraction = _uploaded(upload(dumps(data)))

    assert extraction.status == Extraction.Status.DONE
    errors = {e["resource"]: e["message"] for e in _errors(extraction)}
    assert set(errors) == {
        "Condition/p-1-bad",
        "Observation/p-1-obs-bad",
        "Patient/p-2",
        "Condition/p-2-ep1",
        "MedicationStatement/p-2-med1",
        "AllergyIntolerance/p-2-ci1",
        "Observation/p-2-obs1",
        "MedicationStatement/orphan-med",
    }
    with translation.override("nl"):
        invalid_prefix = gettext("Not a valid FHIR resource (%(detail)s).").split("%")[0]
        skipped = gettext("Skipped because its patient could not be imported.")
    assert errors["Condition/p-1-bad"].startswith(invalid_prefix)
    assert "clinicalStatus" in errors["Condition/p-1-bad"]
    assert errors["Observation/p-1-obs-bad"].startswith(invalid_prefix)
    assert "valueQuantity" in errors["Observation/p-1-obs-bad"]
    assert errors["Patient/p-2"] == _nl("The BSN does not pass the eleven test.")
    for child in ("Condition/p-2-ep1", "MedicationStatement/p-2-med1"):
        assert errors[child] == skipped
    assert errors["AllergyIntolerance/p-2-ci1"] == errors["Observation/p-2-obs1"] == skipped
    assert errors["MedicationStatement/orphan-med"] == _nl(
        "Refers to a patient who is not in this file."
    )
    assert errors["Condition/p-1-bad"].startswith("Geen geldige FHIR-resource (")
    assert errors["Patient/p-2"] == "Het BSN voldoet niet aan de elfproef."
    assert errors["Condition/p-2-ep1"] == (
        "Overgeslagen, omdat de patiënt niet geïmporteerd kon worden."
    )
    assert errors["MedicationStatement/orphan-med"] == (
        "Verwijst naar een patiënt die niet in dit bestand staat."
    )

    # The page lists every refused resource by reference, with its message.
    html = upload.client.get(reverse("network:extraction-detail", args=[extraction.pk]))
    html = html.content.decode()
    fields = {e["resource"]: e["field"] for e in _errors(extraction)}
    assert fields["Condition/p-1-bad"] == "clinicalStatus"
    assert fields["Patient/p-2"] == "identifier"
    assert fields["MedicationStatement/orphan-med"] == "subject"
    for ref, message in errors.items():
        where = f', <span class="font-monospace">{fields[ref]}</span>' if fields[ref] else ""
        assert f'<span class="font-monospace">{ref}</span>{where}: {escape(message)}' in html
    assert "8 onderdelen niet geïmporteerd" in html
    assert (
        _nl(
            "These resources were skipped; everything else has been imported. Correct them in "
            "the HIS and upload a new extraction."
        )
        in html
    )

    # The rest is imported; the rejected patient not at all (nothing half-imported).
    assert set(Patient.objects.values_list("his_id", flat=True)) == {"p-1", "p-3"}
    assert not Patient.objects.filter(bsn=BAD_BSN).exists()
    assert not Patient.objects.filter(surname="Zwart").exists()
    for model in CHILD_MODELS.values():
        assert not model.objects.filter(his_id__startswith="p-2-").exists()
        assert model.objects.filter(patient__his_id="p-1").count() == 1
        assert model.objects.filter(patient__his_id="p-3").count() == 1
    assert not Medication.objects.filter(his_id="orphan-med").exists()
    assert extraction.counts["patients"]["created"] == 2
    assert extraction.counts["episodes"]["created"] == 2
    assert extraction.counts["measurements"]["created"] == 2


# --- 7. who may upload and follow ---------------------------------------------------------------


@pytest.mark.parametrize("actor", ["assistant", "nurse"])
def test_staff_without_upload_rights_get_403(
    request, secure_client, actor, django_capture_on_commit_callbacks
):
    client = secure_client(request.getfixturevalue(actor))
    url = reverse(LIST_URL)
    assert client.get(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"file": SimpleUploadedFile("extractie.json", dumps(small_bundle()))}
        )
    assert response.status_code == 403
    assert Extraction.objects.count() == 0
    assert Patient.objects.count() == 0


def test_assistant_cannot_follow_the_practices_extraction(secure_client, assistant, gp, practice):
    extraction = _make_extraction(practice, gp, status=Extraction.Status.DONE)
    response = secure_client(assistant).get(
        reverse("network:extraction-detail", args=[extraction.pk])
    )
    assert response.status_code == 404


def test_another_practices_staff_get_404_on_an_extraction(secure_client, outsider, gp, practice):
    extraction = _make_extraction(
        practice, gp, status=Extraction.Status.DONE, file_name="delinde-geheim.json"
    )
    client = secure_client(outsider)
    url = reverse("network:extraction-detail", args=[extraction.pk])
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404
    listing = client.get(reverse(LIST_URL))
    assert listing.status_code == 200
    assert url not in listing.content.decode()
    assert "delinde-geheim.json" not in listing.content.decode()


# --- 8. the progress partial --------------------------------------------------------------------


def test_progress_partial_polls_while_running_and_stops_when_done(secure_client, gp, practice):
    extraction = _make_extraction(
        practice, gp, status=Extraction.Status.RUNNING, total=10, processed=5
    )
    client = secure_client(gp)
    url = reverse("network:extraction-detail", args=[extraction.pk])

    response = client.get(url, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="progress"')
    assert 'hx-trigger="every 1s"' in html
    assert f'hx-get="{url}"' in html
    assert _nl("%(done)s of %(total)s patients", done=5, total=10) in html
    assert "5 van 10 patiënten" in html
    assert 'value="50"' in html
    assert capfirst(_nl_label(Extraction.Status.RUNNING.label)) in html
    assert "HX-Request" in response["Vary"]

    # The full page (no htmx) wraps the same fragment.
    full = client.get(url).content.decode()
    assert "<html" in full and 'hx-trigger="every 1s"' in full

    Extraction.objects.filter(pk=extraction.pk).update(
        status=Extraction.Status.DONE,
        processed=10,
        counts={
            "patients": {"created": 10, "updated": 0, "unchanged": 0, "removed": 0, "refused": 0}
        },
        finished_at=timezone.now(),
    )
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in done
    assert "hx-trigger" not in done and "hx-get" not in done
    assert 'value="100"' in done
    assert capfirst(_nl_label(Extraction.Status.DONE.label)) in done
    assert "<strong>Klaar</strong>" in done and "van 10" not in done
    assert _result_table(done)["Patiënten"] == (10, 0, 0)


def test_progress_partial_polls_while_queued(secure_client, gp, practice):
    extraction = _make_extraction(practice, gp, total=10)
    url = reverse("network:extraction-detail", args=[extraction.pk])
    html = secure_client(gp).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert _nl("%(done)s of %(total)s patients", done=0, total=10) in html
    assert "<strong>Wacht</strong> – 0 van 10 patiënten" in html


# --- 9. the task is idempotent ------------------------------------------------------------------


def test_running_the_import_again_on_a_finished_extraction_changes_nothing(upload):
    extraction = _uploaded(upload(dumps(small_bundle())))
    assert extraction.status == Extraction.Status.DONE
    rows = _row_counts()
    stamps = dict(Patient.objects.values_list("pk", "updated_at"))
    log_size = AccessLogEntry.objects.count()

    again = services.extraction_import(extraction_id=extraction.pk)

    from network.tasks import extraction_import_task

    assert extraction_import_task.apply(args=[extraction.pk]).get() == Extraction.Status.DONE
    assert again.status == Extraction.Status.DONE
    again.refresh_from_db()
    assert (again.counts, _errors(again), again.finished_at, again.started_at) == (
        extraction.counts,
        _errors(extraction),
        extraction.finished_at,
        extraction.started_at,
    )
    assert _row_counts() == rows
    assert dict(Patient.objects.values_list("pk", "updated_at")) == stamps
    assert AccessLogEntry.objects.count() == log_size


def test_a_retried_task_on_an_unfinished_extraction_writes_nothing_twice(upload):
    extraction = _uploaded(upload(dumps(small_bundle())))
    rows = _row_counts()
    logged = _patient_log_entries().count()
    # As if the worker died after the last batch, before the extraction was marked done.
    Extraction.objects.filter(pk=extraction.pk).update(status=Extraction.Status.RUNNING)

    again = services.extraction_import(extraction_id=extraction.pk)

    assert again.status == Extraction.Status.DONE
    assert again.counts["patients"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "removed": 0,
        "refused": 0,
    }
    assert _row_counts() == rows
    assert _patient_log_entries().count() == logged


# --- inputs that once broke the import ------------------------------------------------------


@pytest.mark.parametrize("case", ["onto-hand-entered-patient", "swap-between-two-patients"])
def test_bsn_correction_does_not_leave_the_import_running(upload, practice, case):
    first = _uploaded(
        upload(
            dumps(bundle(patient_resource("p-1", bsn=BSN_1), patient_resource("p-2", bsn=BSN_2)))
        )
    )
    assert first.status == Extraction.Status.DONE
    if case == "onto-hand-entered-patient":
        # The practice typed in someone by hand; the HIS then corrects p-1's BSN to theirs.
        PatientFactory(practice=practice, his_id="", bsn=BSN_3, source=PatientSource.MANUAL)
        changed = bundle(patient_resource("p-1", bsn=BSN_3), patient_resource("p-2", bsn=BSN_2))
    else:
        # The HIS had the BSNs of two patients the wrong way round and corrects it.
        changed = bundle(patient_resource("p-1", bsn=BSN_2), patient_resource("p-2", bsn=BSN_1))
    try:
        upload(dumps(changed))
    finally:
        second = Extraction.objects.order_by("-pk").first()
        assert second.pk != first.pk
        assert second.is_finished, second.status  # not "running" (polling) forever


@pytest.mark.parametrize("twin_id", [None, "same"])
def test_two_children_without_distinct_ids_do_not_crash_the_import(upload, twin_id):
    one = condition_resource("x", "p-1", code="T90")
    two = condition_resource("x", "p-1", code="K86", title="Hypertensie")
    for resource in (one, two):
        if twin_id is None:
            del resource["id"]
        else:
            resource["id"] = twin_id
    try:
        upload(dumps(bundle(patient_resource("p-1"), one, two)))
    finally:
        extraction = Extraction.objects.get()
        assert extraction.is_finished, extraction.status


def test_partial_dates_are_not_refused_with_a_python_error(upload):
    episode = condition_resource("p-1-ep1", "p-1", onset="2019-05")  # valid FHIR dateTime
    extraction = _uploaded(upload(dumps(bundle(patient_resource("p-1"), episode))))
    assert extraction.status == Extraction.Status.DONE
    assert not any("isoformat" in e["message"] for e in _errors(extraction)), _errors(extraction)


@pytest.mark.parametrize("status", ["bogus", "entered-in-error"])
def test_measurement_with_a_bad_or_retracted_status_is_not_imported(upload, status):
    data = bundle(patient_resource("p-1"), observation_resource("p-1-obs1", "p-1", status=status))
    extraction = _uploaded(upload(dumps(data)))
    assert extraction.status == Extraction.Status.DONE
    assert not Measurement.objects.exists()


def test_a_measurement_the_his_withdrew_is_removed_and_the_removal_logged(upload):
    first = bundle(patient_resource("p-1"), observation_resource("p-1-obs1", "p-1"))
    assert _uploaded(upload(dumps(first))).status == Extraction.Status.DONE
    assert Measurement.objects.count() == 1
    withdrawn = bundle(
        patient_resource("p-1"),
        observation_resource("p-1-obs1", "p-1", status="entered-in-error"),
    )
    second = _uploaded(upload(dumps(withdrawn)))
    assert second.counts["measurements"]["removed"] == 1
    assert not Measurement.objects.exists()
    entry = AccessLogEntry.objects.order_by("-id").first()
    assert (entry.action, entry.data) == (AccessAction.DELETE, "measurements")


def test_deeply_nested_json_is_refused_with_a_message(upload):
    response = upload(b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400
    assert Extraction.objects.count() == 0


def test_bundle_with_a_malformed_meta_is_refused_with_a_message(upload):
    response = upload(dumps({**small_bundle(), "meta": "urn:agb:01012345"}))
    assert response.status_code in (302, 400)


# --- with real commits --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_upload_with_real_commits_queues_and_runs_the_import(secure_client, gp, monkeypatch):
    """No captured callbacks: the task really is queued by ``on_commit`` after the commit."""
    monkeypatch.setattr("network.services.extractions.BATCH_SIZE", 1)
    client = secure_client(gp)
    response = client.post(
        reverse(LIST_URL),
        {"file": SimpleUploadedFile("extractie.json", dumps(small_bundle()))},
    )
    extraction = _uploaded(response)
    assert extraction.status == Extraction.Status.DONE
    assert (extraction.processed, extraction.total) == (2, 2)
    assert _row_counts() == dict.fromkeys(_row_counts(), 2)


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_once_both_finish(gp, practice):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers")
    data = dumps(realistic_bundle(patients=300, seed=9))
    # Two queued extractions of one file (a double click, or a redelivered task).
    ids = [
        _make_extraction(practice, gp, content=data, size=len(data), total=300).pk for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    failures = []

    def run(pk):
        try:
            barrier.wait()
            services.extraction_import(extraction_id=pk)
        except Exception as exc:  # shown in the assertion below
            failures.append(repr(exc)[:300])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=[pk]) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(Extraction.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == ["done", "done"], failures
    assert Patient.objects.count() == 300
