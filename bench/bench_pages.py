"""Time the start page and colleague search with many providers, and count their queries.

    .venv/bin/python bench/bench_pages.py [--people 5000] [--runs 50]

Uses a throw-away database: a temporary SQLite file, or a fresh ``bench_regiozorg`` database on
the PostgreSQL server of ``DATABASE_URL`` when that is set. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness import run_on_throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    run_on_throwaway_database(run, args)


def run(args, connection) -> None:
    import datetime

    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.levels import Level
    from accounts.models import Absence, Membership, Organisation, OrganisationKind, User

    practice = Organisation.objects.create(
        name="Huisartsenpraktijk Bench", kind=OrganisationKind.GP_PRACTICE, agb_code="01099999"
    )
    nursing = Organisation.objects.create(
        name="Wijkverpleging Bench", kind=OrganisationKind.DISTRICT_NURSING, agb_code="03099999"
    )
    started = time.perf_counter()
    users = User.objects.bulk_create(
        User(
            email=f"p{i}@bench.nl",
            first_name=f"Sjoukje{i}",
            last_name=f"Hoekstra{i:05d}",
            password="x",
        )
        for i in range(args.people)
    )
    Membership.objects.bulk_create(
        Membership(user=u, organisation=practice, level=Level.C) for u in users
    )
    Membership.objects.bulk_create(
        Membership(user=u, organisation=nursing, role="provider") for u in users[::2]
    )
    today = timezone.localdate()
    Absence.objects.bulk_create(
        Absence(user=u, start=today, end=today + datetime.timedelta(days=3)) for u in users[::5]
    )
    print(
        f"seeded {args.people} people in {time.perf_counter() - started:.1f}s "
        f"on {connection.vendor}"
    )

    viewer = users[0]
    Membership.objects.filter(user=viewer, organisation=practice).update(level=Level.A)
    client = Client()
    client.force_login(viewer)

    for label, url in [
        ("start page", "/"),
        ("colleague search 'hoekstra' (all match, page 1 of many)", "/collegas/?q=hoekstra"),
        ("colleague search 'sjoukje12' (few match)", "/collegas/?q=sjoukje12"),
        ("colleague search 'bench' (organisation name)", "/collegas/?q=bench&page=3"),
        ("staff list (level A), page 1", "/praktijkinstellingen/medewerkers/"),
        ("staff list (level A), page 100", "/praktijkinstellingen/medewerkers/?page=100"),
        ("invitations list (level A), page 1", "/uitnodigingen/"),
        ("invitations list (level A), page 10", "/uitnodigingen/?page=10"),
    ]:
        client.get(url)  # warm caches
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{label:58s} queries={len(queries):2d} "
            f"median={statistics.median(timings):6.1f} ms p95={p95:6.1f} ms"
        )


if __name__ == "__main__":
    main()
