"""The measurement pages as the district nurse and the GP use them: entering a reading on a
phone (a Dutch decimal comma, a Dutch message for an impossible value), the chart with its
table, the practice's limits and the alert, the FHIR export; flat query budgets."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from his.models import HisExport
from network.fhir_mapping import measurement_fields
from network.models import AccessLogEntry
from questionnaires.models import HomeMeasurement, MeasurementAlert, MeasurementThreshold
from tests.fhir.validation import assert_valid_r4
from tests.questionnaires.measure_helpers import readings_bulk

pytestmark = pytest.mark.django_db


def entry(kind="blood_pressure", value="150", value2="90", key=None, when=None):
    when = timezone.localtime(when or timezone.now() - datetime.timedelta(minutes=5))
    data = {
        "kind": kind,
        "value": value,
        "date": when.date().isoformat(),
        "time": when.strftime("%H:%M"),
        "client_key": str(key or uuid.uuid4()),
    }
    if value2 is not None:
        data["value2"] = value2
    return data


def test_the_nurse_enters_a_weight_with_a_decimal_comma(login, nurse, shared_patient):
    client = login(nurse)
    url = reverse("measurements:enter", args=[shared_patient.pk])
    form = client.get(url, {"soort": "weight"}).content.decode()
    assert 'inputmode="decimal"' in form
    response = client.post(url, entry("weight", "72,5", None), follow=True)
    reading = HomeMeasurement.objects.get()
    assert (reading.kind, str(reading.value), reading.unit) == ("weight", "72.5", "kg")
    assert "Opgeslagen: gewicht 72,5 kg." in response.content.decode()


def test_an_impossible_weight_is_refused_with_a_dutch_message(login, nurse, shared_patient):
    client = login(nurse)
    url = reverse("measurements:enter", args=[shared_patient.pk])
    response = client.post(url, entry("weight", "900", None))
    assert response.status_code == 422
    assert "Gewicht van 900 kg is niet mogelijk" in response.content.decode()
    assert not HomeMeasurement.objects.exists()


def test_a_saturation_of_140_percent_is_refused(login, nurse, shared_patient):
    client = login(nurse)
    url = reverse("measurements:enter", args=[shared_patient.pk])
    response = client.post(url, entry("spo2", "140", None))
    assert "Zuurstofsaturatie van 140 % is niet mogelijk" in response.content.decode()
    assert not HomeMeasurement.objects.exists()


def test_a_word_instead_of_a_number_is_refused(login, nurse, shared_patient):
    client = login(nurse)
    url = reverse("measurements:enter", args=[shared_patient.pk])
    response = client.post(url, entry("weight", "zeventig", None))
    assert "Vul een getal in, zoals 72,5." in response.content.decode()
    assert not HomeMeasurement.objects.exists()


def test_the_same_form_sent_twice_stores_one_reading(login, nurse, shared_patient):
    client = login(nurse)
    url = reverse("measurements:enter", args=[shared_patient.pk])
    data = entry(key=uuid.uuid4())
    client.post(url, data)
    client.post(url, data)
    assert HomeMeasurement.objects.count() == 1


def test_the_gp_sets_a_limit_and_sees_the_alert_and_handles_it(login, gp, nurse, shared_patient):
    gp_client, nurse_client = login(gp), login(nurse)
    limits = reverse("measurements:thresholds", args=[shared_patient.pk])
    gp_client.post(limits, {"kind": "blood_pressure", "high": "160", "high2": "95", "count": "1"})
    assert MeasurementThreshold.objects.get().high == 160
    nurse_client.post(
        reverse("measurements:enter", args=[shared_patient.pk]), entry(value="182", value2="96")
    )
    page = gp_client.get(reverse("measurements:page", args=[shared_patient.pk])).content.decode()
    assert 'id="measurement-alerts"' in page
    assert "182/96 mmHg" in page
    alert = MeasurementAlert.objects.get()
    gp_client.post(reverse("measurements:alert-handle", args=[shared_patient.pk, alert.pk]))
    alert.refresh_from_db()
    assert alert.handled_by == gp
    page = gp_client.get(reverse("measurements:page", args=[shared_patient.pk])).content.decode()
    assert 'id="measurement-alerts"' not in page


def test_a_bad_limit_is_refused_and_nothing_changes(login, gp, shared_patient):
    client = login(gp)
    response = client.post(
        reverse("measurements:thresholds", args=[shared_patient.pk]),
        {"kind": "weight", "low": "90", "high": "60", "count": "1"},
    )
    assert response.status_code == 422
    assert "De ondergrens moet lager zijn dan de bovengrens." in response.content.decode()
    assert not MeasurementThreshold.objects.exists()


def test_the_nurse_may_not_set_limits(login, nurse, shared_patient):
    client = login(nurse)
    url = reverse("measurements:thresholds", args=[shared_patient.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"kind": "weight", "high": "90", "count": "1"}).status_code == 403
    assert not MeasurementThreshold.objects.exists()


def test_the_page_shows_a_chart_with_its_table_and_logs_the_look(login, nurse, shared_patient):
    readings_bulk(shared_patient, nurse, nurse.memberships.get().organisation, n=10, days=5)
    client = login(nurse)
    page = client.get(reverse("measurements:page", args=[shared_patient.pk])).content.decode()
    assert 'data-measurement-chart="blood_pressure"' in page
    assert "Toon als tabel" in page
    assert "chartjs-4.6.2/chart.umd.min.js" in page
    assert page.count("<tr><td>") >= 5  # a row per day in the table view
    entry_ = AccessLogEntry.objects.filter(object_ref=f"measurements:{shared_patient.pk}").last()
    assert (entry_.action, entry_.relationship) == ("read", "care_network")


def test_the_outsider_gets_404(login, outsider, shared_patient):
    client = login(outsider)
    assert client.get(reverse("measurements:page", args=[shared_patient.pk])).status_code == 404


@pytest.mark.parametrize("viewer", ["gp", "nurse"])
@pytest.mark.parametrize("n", [10, 1000])
def test_the_page_costs_the_same_for_10_and_1000_readings(
    n, viewer, request, login, nurse, shared_patient, django_assert_max_num_queries
):
    readings_bulk(shared_patient, nurse, nurse.memberships.get().organisation, n=n)
    client = login(request.getfixturevalue(viewer))
    url = reverse("measurements:page", args=[shared_patient.pk])
    client.get(url)  # settle the session's first-request writes
    # Session, user, memberships, second factor (4); the patient (1; the nurse also her
    # care-network membership and the matrix: 3); the access-log write (5: savepoint, lock,
    # previous hash, insert, release); the page: limits, latest readings, the series, open
    # alerts (4); the practice only: its HIS exports and connection (2); the header: the PZP
    # (1). Measured: 17 for both, at 10 and at 1,000 readings.
    with django_assert_max_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200
    points = sum(len(s.points) for s in response.context["view"].series)
    assert points <= 29  # one per day, never one per reading


def test_the_fhir_export_is_valid_r4_with_blood_pressure_as_one_observation(
    login, gp, nurse, shared_patient
):
    nurse_client = login(nurse)
    url = reverse("measurements:enter", args=[shared_patient.pk])
    nurse_client.post(url, entry(value="150", value2="90"))
    nurse_client.post(url, entry("weight", "72,5", None))
    response = login(gp).get(reverse("measurements:fhir", args=[shared_patient.pk]))
    bundle = json.loads(response.content)
    assert_valid_r4(bundle)
    observations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert len(observations) == 2
    bp = next(o for o in observations if "component" in o)
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert [c["code"]["coding"][0]["code"] for c in bp["component"]] == ["8480-6", "8462-4"]
    assert [c["valueQuantity"]["value"] for c in bp["component"]] == [150, 90]
    weight = next(o for o in observations if "valueQuantity" in o)
    assert weight["valueQuantity"] == {
        "value": 72.5,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    # Conditional creates on the reading's own key: sending it again adds nothing.
    assert all("ifNoneExist" in e["request"] for e in bundle["entry"])


def test_the_export_reads_back_as_the_same_measurements(login, gp, nurse, shared_patient):
    """What ``network.fhir_mapping`` makes of the exported blood pressure: one measurement
    with both numbers, as the HIS import would store it."""
    login(nurse).post(
        reverse("measurements:enter", args=[shared_patient.pk]), entry(value="150", value2="90")
    )
    bundle = json.loads(
        login(gp).get(reverse("measurements:fhir", args=[shared_patient.pk])).content
    )
    bp = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    fields = measurement_fields(bp)
    assert (fields["value"], fields["value2"], fields["loinc_code"]) == (150, 90, "85354-9")


def test_the_gp_reports_the_readings_to_the_his_as_a_note_and_a_bundle(
    login, gp, nurse, shared_patient
):
    login(nurse).post(
        reverse("measurements:enter", args=[shared_patient.pk]), entry(value="150", value2="90")
    )
    client = login(gp)
    url = reverse("measurements:his-export", args=[shared_patient.pk])
    page = client.post(url, follow=True).content.decode()
    assert 'id="measurement-exports"' in page  # the note, to download (no HIS connected)
    client.post(url)  # again, without a new reading: the same export
    export = HisExport.objects.get()
    assert "O: RR: 1x, 150/90 mmHg – 150/90 mmHg" in export.note_text
    assert_valid_r4(export.fhir_json)
    note = client.get(
        reverse("measurements:his-export-download", args=[shared_patient.pk, export.pk])
    )
    text = b"".join(note.streaming_content if note.streaming else [note.content]).decode()
    assert text.startswith("Patiënt: ")
    assert "Thuismetingen, laatste 90 dagen" in text
