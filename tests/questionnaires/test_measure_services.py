"""Home measurements: implausible readings are refused and nothing is stored; the same form
sent twice stores one reading and raises one alert; a window rule ("4 high blood pressures in
48 hours") fires exactly at its boundaries; only those who may, read, enter and set limits."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from network.models import AccessLogEntry
from questionnaires.measure_access import measurements_access_for, measurements_get_for
from questionnaires.measure_services import (
    alert_handle,
    alerts_evaluate,
    measurement_record,
    threshold_set,
)
from questionnaires.models import HomeMeasurement, MeasurementAlert
from tests.conversations.conftest import actor_for

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def record(user, patient, kind="blood_pressure", value="150", value2="90", at=None, key=None):
    actor = actor_for(user)
    access = measurements_access_for(actor=actor, pk=patient.pk, need="enter")
    return measurement_record(
        actor=actor,
        access=access,
        kind=kind,
        value=Decimal(value),
        value2=Decimal(value2) if value2 is not None else None,
        measured_at=at or NOW,
        client_key=key or uuid.uuid4(),
    )


def limits(gp, patient, kind="blood_pressure", **rule):
    actor = actor_for(gp)
    access = measurements_access_for(actor=actor, pk=patient.pk, need="thresholds")
    rule = {"high": Decimal(160), "high2": Decimal(95), **rule}
    return threshold_set(actor=actor, access=access, kind=kind, **rule)


@pytest.mark.parametrize(
    ("kind", "value", "value2", "field", "message"),
    [
        ("weight", "900", None, "value", "Gewicht van 900 kg is niet mogelijk"),
        ("spo2", "140", None, "value", "Zuurstofsaturatie van 140 % is niet mogelijk"),
        ("temperature", "52", None, "value", "tussen 30 en 44 °C"),
        ("blood_pressure", "400", "90", "value", "Een bovendruk van 400 mmHg is niet mogelijk"),
        ("blood_pressure", "120", "130", "value2", "onderdruk moet lager zijn"),
        ("pain", "11", None, "value", "tussen 0 en 10"),
    ],
)
def test_implausible_readings_are_refused_in_dutch_and_nothing_is_stored(
    nurse, shared_patient, kind, value, value2, field, message
):
    with pytest.raises(ValidationError) as refused:
        record(nurse, shared_patient, kind=kind, value=value, value2=value2)
    assert message in " ".join(refused.value.message_dict[field])
    assert not HomeMeasurement.objects.exists()


def test_a_blood_pressure_needs_both_numbers(nurse, shared_patient):
    with pytest.raises(ValidationError) as refused:
        record(nurse, shared_patient, value2=None)
    assert refused.value.message_dict["value2"] == ["Vul ook de onderdruk (diastolisch) in."]


def test_a_reading_in_the_future_is_refused(nurse, shared_patient):
    with pytest.raises(ValidationError) as refused:
        record(nurse, shared_patient, at=NOW + datetime.timedelta(hours=2))
    assert "toekomst" in refused.value.message_dict["measured_at"][0]


def test_a_plausible_reading_is_stored_with_its_unit_and_logged(nurse, shared_patient):
    reading = record(nurse, shared_patient, kind="weight", value="72.5", value2=None)
    assert (reading.unit, reading.value, reading.value2) == ("kg", Decimal("72.5"), None)
    assert reading.display_value == "72,5 kg"
    entry = AccessLogEntry.objects.get(object_ref=f"measurement:{reading.pk}")
    assert (entry.action, entry.relationship) == ("create", "care_network")


def test_the_same_form_sent_twice_stores_one_reading_and_raises_one_alert(
    gp, nurse, shared_patient
):
    limits(gp, shared_patient)
    key = uuid.uuid4()
    first = record(nurse, shared_patient, value="190", key=key)
    again = record(nurse, shared_patient, value="190", key=key)
    assert first.pk == again.pk
    assert HomeMeasurement.objects.count() == 1
    assert MeasurementAlert.objects.count() == 1
    # Evaluating the rule again for the same reading adds nothing either.
    assert alerts_evaluate(measurement=first).pk == MeasurementAlert.objects.get().pk
    assert MeasurementAlert.objects.count() == 1


def test_a_client_key_of_another_patient_is_refused(gp, nurse, shared_patient, patient):
    key = uuid.uuid4()
    record(gp, patient, key=key)
    with pytest.raises(ValidationError):
        record(gp, shared_patient, key=key)
    assert HomeMeasurement.objects.filter(patient=shared_patient).count() == 0


def test_a_reading_within_the_limits_raises_no_alert(gp, nurse, shared_patient):
    limits(gp, shared_patient)
    record(nurse, shared_patient, value="140", value2="85")
    assert not MeasurementAlert.objects.exists()


def test_either_number_of_a_blood_pressure_outside_its_limit_raises_an_alert(
    gp, nurse, shared_patient
):
    limits(gp, shared_patient)
    record(nurse, shared_patient, value="140", value2="100")
    assert MeasurementAlert.objects.get().readings == 1


def test_a_low_limit_catches_a_low_saturation(gp, nurse, shared_patient):
    limits(gp, shared_patient, kind="spo2", high=None, high2=None, low=Decimal(92))
    record(nurse, shared_patient, kind="spo2", value="93", value2=None)
    assert not MeasurementAlert.objects.exists()
    record(nurse, shared_patient, kind="spo2", value="90", value2=None)
    assert MeasurementAlert.objects.count() == 1


class TestWindowRule:
    """Four high blood pressures within 48 hours: a reading exactly 48 hours before the
    fourth falls outside the window; one a minute later falls inside."""

    @pytest.fixture
    def rule(self, gp, shared_patient):
        return limits(gp, shared_patient, count=4, window_hours=48)

    def series(self, nurse, patient, hours_before):
        return [
            record(nurse, patient, value="175", at=NOW - datetime.timedelta(hours=h))
            for h in hours_before
        ]

    def test_four_high_readings_within_48_hours_raise_one_alert(self, rule, nurse, shared_patient):
        readings = self.series(nurse, shared_patient, [47, 30, 10, 0])
        alert = MeasurementAlert.objects.get()
        assert (alert.measurement, alert.readings) == (readings[-1], 4)

    def test_three_high_readings_raise_none(self, rule, nurse, shared_patient):
        self.series(nurse, shared_patient, [30, 10, 0])
        assert not MeasurementAlert.objects.exists()

    def test_a_reading_exactly_48_hours_earlier_is_outside_the_window(
        self, rule, nurse, shared_patient
    ):
        self.series(nurse, shared_patient, [48, 30, 10, 0])
        assert not MeasurementAlert.objects.exists()

    def test_a_reading_just_inside_the_window_counts(self, rule, nurse, shared_patient):
        self.series(nurse, shared_patient, [47.99, 30, 10, 0])
        assert MeasurementAlert.objects.count() == 1

    def test_normal_readings_in_between_do_not_count(self, rule, nurse, shared_patient):
        self.series(nurse, shared_patient, [40, 30, 10])
        record(nurse, shared_patient, value="130", value2="80")
        assert not MeasurementAlert.objects.exists()

    def test_a_fifth_high_reading_raises_no_second_alert_until_four_more(
        self, rule, nurse, shared_patient
    ):
        self.series(nurse, shared_patient, [47, 40, 30, 20, 10, 5, 3])
        assert MeasurementAlert.objects.count() == 1
        self.series(nurse, shared_patient, [1])
        assert MeasurementAlert.objects.count() == 2


def test_a_count_above_one_needs_a_window(gp, shared_patient):
    with pytest.raises(ValidationError) as refused:
        limits(gp, shared_patient, count=4)
    assert "binnen hoeveel uur" in refused.value.message_dict["window_hours"][0]


def test_handling_an_alert_twice_changes_nothing(gp, nurse, shared_patient):
    limits(gp, shared_patient)
    record(nurse, shared_patient, value="200")
    alert = MeasurementAlert.objects.get()
    actor = actor_for(gp)
    access = measurements_access_for(actor=actor, pk=shared_patient.pk, need="thresholds")
    first = alert_handle(actor=actor, access=access, alert_pk=alert.pk).handled_at
    assert alert_handle(actor=actor, access=access, alert_pk=alert.pk).handled_at == first


def test_the_nurse_reads_and_enters_but_sets_no_limits(nurse, shared_patient):
    actor = actor_for(nurse)
    assert measurements_get_for(actor=actor, pk=shared_patient.pk).relationship == "care_network"
    measurements_access_for(actor=actor, pk=shared_patient.pk, need="enter")
    with pytest.raises(PermissionDenied):
        measurements_access_for(actor=actor, pk=shared_patient.pk, need="thresholds")


def test_the_nurse_gets_404_for_a_patient_not_made_visible(nurse, patient):
    with pytest.raises(Http404):
        measurements_get_for(actor=actor_for(nurse), pk=patient.pk)
    assert AccessLogEntry.objects.filter(outcome="denied").exists()


def test_a_physiotherapist_in_the_network_may_not_read_measurements(
    physio, physio_practice, shared_patient
):
    from tests.factories import CareNetworkMemberFactory

    CareNetworkMemberFactory(patient=shared_patient, user=physio, organisation=physio_practice)
    with pytest.raises(Http404):
        measurements_get_for(actor=actor_for(physio), pk=shared_patient.pk)


def test_a_new_alert_emails_the_practice_once_without_naming_the_patient(
    gp, nurse, shared_patient, committing, mailoutbox
):
    limits(gp, shared_patient)
    key = uuid.uuid4()
    with committing():
        record(nurse, shared_patient, value="190", key=key)
    with committing():
        record(nurse, shared_patient, value="190", key=key)  # the same form again
        alerts_evaluate(measurement=HomeMeasurement.objects.get())
    assert [m.to for m in mailoutbox] == [[gp.email]]
    mail = mailoutbox[0]
    assert mail.subject == "Een thuismeting boven een grens in Regiozorg"
    assert f"/patienten/{shared_patient.pk}/metingen/" in mail.body
    assert shared_patient.surname not in mail.body and "190" not in mail.body
