"""Demo data: Geertje van der Meer has two weeks of blood pressure, weight and saturation
readings, one blood pressure over the limit her practice set (one alert, which the GP sees);
seeding twice changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.demo import demo_email
from accounts.models import User
from questionnaires.models import HomeMeasurement, MeasurementAlert, MeasurementThreshold
from regiozorg.demo import demo_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


def test_geertje_has_two_weeks_of_readings_and_one_alert(client, settings):
    demo_seed()
    readings = HomeMeasurement.objects.filter(patient__his_id="terp-0001")
    assert str(readings.first().patient) == "Geertje van der Meer"
    kinds = {k: readings.filter(kind=k).count() for k in ("blood_pressure", "weight", "spo2")}
    assert kinds == {"blood_pressure": 28, "weight": 7, "spo2": 14}
    assert MeasurementThreshold.objects.filter(patient__his_id="terp-0001").count() == 2
    alert = MeasurementAlert.objects.get()
    assert alert.measurement.display_value == "172/98 mmHg"
    demo_seed()
    assert HomeMeasurement.objects.count() == 49
    assert MeasurementAlert.objects.count() == 1

    gp = User.objects.get(email=demo_email("huisarts"))
    settings.DEMO_ACCOUNTS_REQUIRE_MFA = False  # the embedded demo's exemption
    client.force_login(gp)
    page = client.get(reverse("measurements:page", args=[alert.patient_id]))
    assert page.status_code == 200, page.status_code
    assert "172/98 mmHg" in page.content.decode()
