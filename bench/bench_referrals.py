"""Referral pages for a district nurse whose organisation received 20,000 referrals, and for a GP
whose practice sent 2,000 of them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/regiozorg_benchref \\
        uv run python bench/bench_referrals.py [--referrals 20000] [--runs 100]

Uses a throw-away database (``bench/harness.py``). Rows are made with ``bulk_create``: 10
practices with 2,000 patients each; referrals from them to one district-nursing organisation (a
tenth to its Team Noord), spread over states as a busy organisation has them (a tenth new, a
quarter in treatment, the rest ended); an event per step, feedback for most treated ones, care
networks for the accepted ones; the access log grows with every timed page, as it does in use.
One referral has 30 feedback and 10 attachments (the referral page's heavy case). Then ANALYZE.

Each page is fetched ``--runs`` times with the test client; prints p50/p95, the query count and
the slowest query; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import random
import time

from bench_inbox import explain, timed_pages
from harness import run_on_throwaway_database

QUESTIONS = (
    "Graag wondzorg onderbeen, 2x per week.",
    "Hulp bij medicatie: baxterrol, mevrouw vergeet innames.",
    "Steunkousen aan- en uittrekken, dagelijks.",
    "Palliatieve zorg thuis, graag kennismaking.",
    "Controle suikers en voetzorg na opname.",
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=100)
    run_on_throwaway_database(run, parser.parse_args())


def seed(args, connection):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.levels import Level, Role
    from accounts.models import Membership, Organisation, OrganisationKind, Team, User
    from network.access import Actor
    from network.models import AccessGrant, CareNetworkMember, Patient
    from referrals.models import Feedback, Referral, ReferralEvent
    from referrals.services import feedback_add

    rng = random.Random(11)
    practices = Organisation.objects.bulk_create(
        Organisation(
            name=f"Praktijk Bench {i}", kind=OrganisationKind.GP_PRACTICE, agb_code=f"0109{i:04d}"
        )
        for i in range(10)
    )
    nursing = Organisation.objects.create(
        name="Thuiszorg Bench", kind=OrganisationKind.DISTRICT_NURSING
    )
    team = Team.objects.create(organisation=nursing, name="Team Noord")
    gp = User.objects.create_user(
        email="gp@ref.bench.nl",
        password=None,
        first_name="Gea",
        last_name="Bench",
        is_demo_account=True,
    )
    nurse = User.objects.create_user(
        email="nurse@ref.bench.nl",
        password=None,
        first_name="Nynke",
        last_name="Bench",
        is_demo_account=True,
    )
    Membership.objects.create(
        user=gp, organisation=practices[0], level=Level.A, has_patient_data_access=True
    )
    nurse_membership = Membership.objects.create(user=nurse, organisation=nursing, role=Role.LEAD)
    nurse_membership.teams.add(team)
    patients = Patient.objects.bulk_create(
        (
            Patient(
                practice=practice,
                his_id=f"{p}-{i}",
                surname=f"Patiënt{i}",
                first_name="Bench",
                birth_date=datetime.date(1940, 1, 1),
                is_visible=i % 2 == 0,
            )
            for p, practice in enumerate(practices)
            for i in range(2_000)
        ),
        batch_size=5_000,
    )
    states = ["sent"] * 10 + ["accepted"] * 25 + ["closed"] * 45 + ["declined"] * 10
    states += ["cancelled"] * 10
    start = datetime.datetime(2025, 11, 1, 8, tzinfo=datetime.UTC)
    referrals = []
    for i in range(args.referrals):
        state = rng.choice(states)
        patient = rng.choice(patients)
        sent = start + datetime.timedelta(minutes=25 * i)
        referrals.append(
            Referral(
                patient=patient,
                practice_id=patient.practice_id,
                created_by=gp,
                to_organisation=nursing,
                to_team=team if rng.random() < 0.1 else None,
                question=rng.choice(QUESTIONS),
                state=state,
                sent_at=sent,
                accepted_at=sent if state in ("accepted", "closed") else None,
                accepted_by=nurse if state in ("accepted", "closed") else None,
                ended_at=sent if state in ("closed", "declined", "cancelled") else None,
                decline_reason="Geen plek" if state == "declined" else "",
            )
        )
    referrals = Referral.objects.bulk_create(referrals, batch_size=5_000)
    # While a referral is open its receivers hold an access grant (referrals.services).
    AccessGrant.objects.bulk_create(
        (
            AccessGrant(
                patient_id=r.patient_id,
                organisation_id=r.to_organisation_id,
                team_id=r.to_team_id,
                reason="referral",
                source=f"referral:{r.pk}",
                started_at=r.sent_at,
            )
            for r in referrals
            if r.state in ("sent", "accepted")
        ),
        batch_size=5_000,
    )
    events = []
    for referral in referrals:
        events.append(
            ReferralEvent(
                referral=referral,
                action="send",
                from_state="draft",
                to_state="sent",
                user=gp,
                organisation_id=referral.practice_id,
            )
        )
        if referral.state != "sent":
            events.append(
                ReferralEvent(
                    referral=referral,
                    action="accept",
                    from_state="sent",
                    to_state=referral.state,
                    user=nurse,
                    organisation=nursing,
                )
            )
    ReferralEvent.objects.bulk_create(events, batch_size=10_000)
    Feedback.objects.bulk_create(
        (
            Feedback(
                referral=r,
                kind="start",
                findings="Wond 3 x 4 cm, schoon.",
                author=nurse,
                organisation=nursing,
            )
            for r in referrals
            if r.state in ("accepted", "closed") and rng.random() < 0.8
        ),
        batch_size=5_000,
    )
    in_treatment = {r.patient_id for r in referrals if r.state == "accepted"}
    CareNetworkMember.objects.bulk_create(
        CareNetworkMember(
            patient_id=pk,
            user=nurse,
            organisation=nursing,
            reason="referral",
            added_by=nurse,
        )
        for pk in in_treatment
    )
    # The heavy page: one referral in treatment with 30 feedback, each with a report.
    heavy = next(r for r in referrals if r.state == "accepted" and r.practice_id == practices[0].pk)
    actor = Actor(user=nurse, membership=nurse_membership)
    for i in range(30):
        files = [SimpleUploadedFile(f"verslag-{i}.pdf", PDF)] if i < 10 else []
        feedback_add(actor=actor, referral=heavy, kind="interim", findings=f"Week {i}", files=files)
    with connection.cursor() as cursor:
        for table in (
            "referrals_referral",
            "referrals_referralevent",
            "referrals_feedback",
            "network_patient",
            "network_carenetworkmember",
            "network_accessgrant",
        ):
            cursor.execute(f"ANALYZE {table}")
    return gp, nurse, heavy


def run(args, connection) -> None:
    from django.conf import settings
    from django.test import Client

    from referrals.models import Referral

    settings.DEMO_ACCOUNTS_REQUIRE_MFA = False
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    t0 = time.perf_counter()
    gp, nurse, heavy = seed(args, connection)
    counts = {s: Referral.objects.filter(state=s).count() for s in Referral.State.values}
    print(f"seeded in {time.perf_counter() - t0:.1f}s: {counts}")
    connection.queries_log.clear()
    gc.collect()
    gc.freeze()
    for label, user, pages in (
        (
            "district nurse",
            nurse,
            [
                ("referrals, new", "/verwijzingen/?tab=new"),
                ("referrals, in treatment", "/verwijzingen/?tab=treatment"),
                ("referrals, ended, page 1", "/verwijzingen/?tab=ended"),
                ("referrals, ended, page 200", "/verwijzingen/?tab=ended&page=200"),
                ("referral page, 30 feedback", f"/verwijzingen/{heavy.pk}/"),
            ],
        ),
        (
            "GP",
            gp,
            [
                ("referrals sent by the practice", "/verwijzingen/?tab=sent"),
                ("referral page, 30 feedback", f"/verwijzingen/{heavy.pk}/"),
                ("patient page with referrals", f"/patienten/{heavy.patient_id}/"),
            ],
        ),
    ):
        client = Client()
        client.force_login(user)
        print(f"\n{label}, {args.runs} runs each:")
        results = timed_pages(client, connection, pages, args.runs)
        ms, _plan = max(explain(connection, q["sql"]) for _l, _p, q in results)
        print(f"  slowest query, EXPLAIN ANALYZE: {ms:.1f} ms")


if __name__ == "__main__":
    main()
