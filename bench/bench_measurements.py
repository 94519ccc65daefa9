"""The measurements page of one patient with 10,000 home measurements (a year of several a
day), for the GP and the district nurse.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/regiozorg_benchmeas \\
        .venv/bin/python bench/bench_measurements.py [--readings 10000] [--runs 100]

Uses a throw-away database (``bench/harness.py``). The readings are made with ``bulk_create``
over the last 365 days: half blood pressures, the rest weight, saturation and heart rate; the
practice set a blood-pressure limit, and 20 alerts are open. Then ANALYZE. Each page is fetched
``--runs`` times through Django's whole request path (middleware, session, second-factor
check, access log, template) with the test client; prints p50/p95, the query count and the
slowest query; asserts nothing. Goal: p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import random
import time
import uuid
from decimal import Decimal

from bench_inbox import timed_pages
from harness import run_on_throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    run_on_throwaway_database(run, parser.parse_args())


def seed(args):
    from django.utils import timezone

    from accounts.levels import Level, Role
    from accounts.models import Membership, Organisation, OrganisationKind, User
    from network.models import CareNetworkMember, Patient
    from questionnaires.models import HomeMeasurement, MeasurementAlert, MeasurementThreshold

    rng = random.Random(7)
    practice = Organisation.objects.create(
        name="Praktijk Bench", kind=OrganisationKind.GP_PRACTICE, agb_code="01099999"
    )
    nursing = Organisation.objects.create(
        name="Thuiszorg Bench", kind=OrganisationKind.DISTRICT_NURSING
    )
    gp = User.objects.create_user(
        email="gp@meas.bench.nl", first_name="Gea", last_name="Bench", is_demo_account=True
    )
    nurse = User.objects.create_user(
        email="nurse@meas.bench.nl", first_name="Nynke", last_name="Bench", is_demo_account=True
    )
    Membership.objects.create(
        user=gp, organisation=practice, level=Level.A, has_patient_data_access=True
    )
    Membership.objects.create(
        user=nurse, organisation=nursing, role=Role.PROVIDER, has_patient_data_access=True
    )
    patient = Patient.objects.create(
        practice=practice,
        his_id="bench-1",
        initials="G.",
        first_name="Geertje",
        surname="Bench",
        gender="female",
        birth_date=datetime.date(1941, 3, 14),
        is_visible=True,
    )
    CareNetworkMember.objects.create(patient=patient, user=nurse, organisation=nursing)
    threshold = MeasurementThreshold.objects.create(
        patient=patient,
        kind="blood_pressure",
        high=Decimal(160),
        high2=Decimal(95),
        set_by=gp,
        organisation=practice,
    )
    now = timezone.now()
    step = datetime.timedelta(days=365) / args.readings
    kinds = ["blood_pressure"] * 10 + ["weight"] * 3 + ["spo2"] * 4 + ["heart_rate"] * 3
    rows = []
    for i in range(args.readings):
        kind = rng.choice(kinds)
        value, value2, unit = {
            "blood_pressure": (rng.randint(115, 175), rng.randint(65, 100), "mmHg"),
            "weight": (Decimal(rng.randint(650, 720)) / 10, None, "kg"),
            "spo2": (rng.randint(89, 99), None, "%"),
            "heart_rate": (rng.randint(55, 110), None, "/min"),
        }[kind]
        rows.append(
            HomeMeasurement(
                patient=patient,
                kind=kind,
                value=value,
                value2=value2,
                unit=unit,
                measured_at=now - step * i,
                entered_by=nurse,
                organisation=nursing,
                client_key=uuid.uuid4(),
            )
        )
    HomeMeasurement.objects.bulk_create(rows, batch_size=2000)
    high = HomeMeasurement.objects.filter(patient=patient, value__gt=160)[:20]
    MeasurementAlert.objects.bulk_create(
        MeasurementAlert(threshold=threshold, patient=patient, measurement=m) for m in high
    )
    return gp, nurse, patient


def run(args, connection) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from questionnaires.models import HomeMeasurement

    settings.DEMO_ACCOUNTS_REQUIRE_MFA = False
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    t0 = time.perf_counter()
    gp, nurse, patient = seed(args)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded in {time.perf_counter() - t0:.1f}s: "
        f"{HomeMeasurement.objects.count()} readings of one patient"
    )
    connection.queries_log.clear()
    gc.collect()
    gc.freeze()
    page = reverse("measurements:page", args=[patient.pk])
    for user, label in ((gp, "GP"), (nurse, "district nurse")):
        client = Client()
        client.force_login(user)
        print(f"{label}:")
        timed_pages(
            client,
            connection,
            [
                ("measurements, 30 days (default)", page),
                ("measurements, 365 days", f"{page}?dagen=365"),
                ("new measurement (form)", reverse("measurements:enter", args=[patient.pk])),
                # For comparison, on the same machine at the same moment: the patient's overview.
                (
                    "patient overview (baseline)",
                    reverse("network:patient-detail", args=[patient.pk]),
                ),
            ],
            args.runs,
        )


if __name__ == "__main__":
    main()
