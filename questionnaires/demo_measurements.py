"""Demo home measurements: Geertje van der Meer (terp-0001, COPD and heart failure) has two
weeks of readings the district nurse took at home — blood pressure morning and evening, weight
every other day, oxygen saturation daily — and the limits her practice set: one blood pressure,
three days ago, is over them, so the practice sees an alert. Fixed values (no randomness) and
fixed client keys, so seeding again changes nothing."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.utils import timezone

from accounts.models import Membership
from network.access import Actor, patient_access_for, patients_visible_to
from questionnaires.measure_services import measurement_record, threshold_set
from questionnaires.models import HomeMeasurement

DAYS = 14
# The systolic/diastolic of each morning and evening, in turn; one high reading three days ago.
SYSTOLIC = (138, 144, 135, 141, 146, 133, 139, 142, 136, 148, 140, 134, 143, 137)
DIASTOLIC = (82, 85, 79, 84, 88, 78, 81, 86, 80, 87, 83, 79, 85, 81)
HIGH_DAY = 3  # days ago: 172/98 in the evening
WEIGHT = (68.4, 68.9, 68.6, 69.3, 69.0, 68.7, 69.1)
SPO2 = (93, 92, 94, 93, 91, 93, 94, 92, 93, 95, 92, 93, 94, 93)


def _actor(email: str, organisation) -> Actor:
    membership = Membership.objects.select_related("organisation", "user").get(
        user__email=email, organisation=organisation
    )
    return Actor(user=membership.user, membership=membership, request_id="demo-seed")


def _key(*parts) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "regiozorg-demo:measurement:" + ":".join(map(str, parts)))


def demo_measurements(*, organisations, email, actor_for) -> None:
    nurse = _actor(email("wijkverpleegkundige"), organisations["wijk"])
    gp = actor_for(organisations["terp"])
    geertje = patients_visible_to(gp).get(his_id="terp-0001")
    if HomeMeasurement.objects.filter(patient=geertje).exists():
        return
    practice_access = patient_access_for(actor=gp, pk=geertje.pk)
    threshold_set(
        actor=gp,
        access=practice_access,
        kind="blood_pressure",
        high=Decimal(160),
        high2=Decimal(95),
    )
    threshold_set(actor=gp, access=practice_access, kind="spo2", low=Decimal(90))
    access = patient_access_for(actor=nurse, pk=geertje.pk)
    today = timezone.localdate()

    def at(days_ago: int, hour: int) -> datetime.datetime:
        day = today - datetime.timedelta(days=days_ago)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 15)))

    def record(kind, value, value2=None, *, days_ago, hour):
        measurement_record(
            actor=nurse,
            access=access,
            kind=kind,
            value=Decimal(str(value)),
            value2=Decimal(str(value2)) if value2 is not None else None,
            measured_at=at(days_ago, hour),
            client_key=_key(kind, days_ago, hour),
        )

    for days_ago in range(DAYS, 0, -1):
        i = DAYS - days_ago
        record("blood_pressure", SYSTOLIC[i], DIASTOLIC[i], days_ago=days_ago, hour=8)
        evening = (172, 98) if days_ago == HIGH_DAY else (SYSTOLIC[-1 - i], DIASTOLIC[-1 - i])
        record("blood_pressure", *evening, days_ago=days_ago, hour=19)
        record("spo2", SPO2[i], days_ago=days_ago, hour=8)
        if days_ago % 2 == 0:
            record("weight", WEIGHT[i // 2], days_ago=days_ago, hour=8)
