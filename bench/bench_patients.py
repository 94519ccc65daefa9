"""Import a 5,000-patient HIS extraction and time the patient pages, with their query counts.

    .venv/bin/python bench/bench_patients.py [--patients 5000] [--runs 100]

Uses a throw-away database: a temporary SQLite file, or a fresh test database on the PostgreSQL
server of ``DATABASE_URL`` when that is set (the figures in bench/RESULTS.md are PostgreSQL).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness import run_on_throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    run_on_throwaway_database(run, args)


def timed_pages(client, connection, pages, runs) -> None:
    from django.test.utils import CaptureQueriesContext

    for label, url in pages:
        client.get(url)  # warm caches
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"  {label:52s} queries={len(queries):2d} "
            f"median={statistics.median(timings):6.1f} ms p95={p95:6.1f} ms"
        )


def run(args, connection) -> None:
    import hashlib

    from django.conf import settings
    from django.test import Client

    from accounts.levels import Level, Role
    from accounts.models import Membership, Organisation, OrganisationKind, User
    from network.access import Actor, patients_visible_to
    from network.models import AccessLogEntry, CareNetworkMember, Extraction, Measurement
    from network.services import extraction_import
    from tools.extraction import dumps_bundle, generate_bundle

    settings.DEMO_ACCOUNTS_REQUIRE_MFA = False
    agb = "01099999"
    practice = Organisation.objects.create(
        name="Huisartsenpraktijk Bench", kind=OrganisationKind.GP_PRACTICE, agb_code=agb
    )
    nursing = Organisation.objects.create(
        name="Wijkverpleging Bench", kind=OrganisationKind.DISTRICT_NURSING, agb_code="03099999"
    )
    # Demo-account flag: the secure session counts as present (no authenticator in a bench).
    gp = User.objects.create_user(
        email="gp@bench.nl", password="x", first_name="Gea", last_name="Bench", is_demo_account=True
    )
    gp_membership = Membership.objects.create(
        user=gp, organisation=practice, level=Level.A, has_patient_data_access=True
    )
    nurse = User.objects.create_user(
        email="wijk@bench.nl",
        password="x",
        first_name="Wil",
        last_name="Bench",
        is_demo_account=True,
    )
    Membership.objects.create(user=nurse, organisation=nursing, role=Role.LEAD)

    t0 = time.perf_counter()
    content = dumps_bundle(
        generate_bundle(patients=args.patients, seed=1, practice_agb=agb)
    ).encode()
    print(
        f"generated {args.patients} patients ({len(content) / 1e6:.1f} MB) "
        f"in {time.perf_counter() - t0:.1f}s; database: {connection.vendor}"
    )

    for run_label in ("first import", "same file again"):
        extraction = Extraction.objects.create(
            practice=practice,
            uploaded_by=gp,
            file_name="bench.json",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
        t0 = time.perf_counter()
        extraction = extraction_import(extraction_id=extraction.pk)
        seconds = time.perf_counter() - t0
        counts = extraction.counts
        print(
            f"{run_label:16s} {seconds:6.1f} s  status={extraction.status} "
            f"patients={counts['patients']} measurements={counts['measurements']} "
            f"errors={extraction.error_count}"
        )
    print(
        f"rows: measurements={Measurement.objects.count()} "
        f"access-log entries={AccessLogEntry.objects.count()}"
    )

    patients = list(
        patients_visible_to(Actor(user=gp, membership=gp_membership)).order_by("pk")[:200]
    )
    patients_visible = [p.pk for p in patients[:50]]
    from network.models import Patient  # bench set-up only

    Patient.objects.filter(pk__in=patients_visible).update(is_visible=True)
    CareNetworkMember.objects.bulk_create(
        CareNetworkMember(patient_id=pk, user=nurse, organisation=nursing, reason="manual")
        for pk in patients_visible
    )
    first = patients[0]
    birth = first.birth_date.strftime("%d-%m-%Y")

    client = Client()
    client.force_login(gp)
    print(f"GP (own practice, {args.patients} patients), {args.runs} runs each:")
    timed_pages(
        client,
        connection,
        [
            ("patient list, page 1", "/patienten/"),
            ("patient list, page 150", "/patienten/?page=150"),
            ("search by surname part 'de'", "/patienten/?q=de"),
            ("search by date of birth", f"/patienten/?q={birth}"),
            ("search by BSN", f"/patienten/?q={first.bsn}"),
            ("patient page (overview)", f"/patienten/{first.pk}/"),
            ("medical data tab", f"/patienten/{first.pk}/medisch/"),
            ("care network tab", f"/patienten/{first.pk}/zorgnetwerk/"),
            ("who viewed this record", f"/patienten/{first.pk}/inzage/"),
        ],
        args.runs,
    )
    client = Client()
    client.force_login(nurse)
    print("District nurse (care network of 50 visible patients):")
    timed_pages(
        client,
        connection,
        [
            ("patient list", "/patienten/"),
            ("patient page (overview)", f"/patienten/{first.pk}/"),
            ("medical data tab", f"/patienten/{first.pk}/medisch/"),
        ],
        args.runs,
    )
    t0 = time.perf_counter()
    from network.access_log import access_log_verify

    report = access_log_verify()
    print(
        f"verify_access_log: {report.checked} entries, ok={report.ok}, "
        f"{time.perf_counter() - t0:.1f}s"
    )


if __name__ == "__main__":
    main()
