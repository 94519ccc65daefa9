"""Inbox pages for a GP in 2,000 of 10,000 conversations with 200,000 messages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/regiozorg_benchinbox \\
        uv run python bench/bench_inbox.py [--conversations 10000] [--messages 200000] \\
        [--member-of 2000] [--runs 100]

Uses a throw-away database (``bench/harness.py``; with the URL above: ``test_regiozorg_benchinbox``
on the local PostgreSQL, dropped afterwards). The rows are made with ``bulk_create`` and a few
UPDATEs, not through the services: conversations (a fifth consultations, a tenth closed, four in
ten about a patient of the GP's practice), 2-4 participants each, messages spread unevenly over
them, ``last_message_at``/``last_message_id``/``message_count`` set from the messages, read
states for every participant (most read to the end, some behind, a few flagged). One GP (level A,
patient data) takes part in ``--member-of`` of them, a tenth of those through the practice's
shared inbox. Then ANALYZE, as autovacuum would have done.

Each page is fetched ``--runs`` times with the test client; prints p50/p95 and the query count,
the slowest query of each page, and the EXPLAIN ANALYZE plan of the slowest query of all.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import uuid

from harness import run_on_throwaway_database
from procs import percentile

WORDS = (
    "graag even overleg over de medicatie",
    "de bloeddruk is wat hoger dan vorige week",
    "kunt u morgen langskomen?",
    "de pijn is minder, mevrouw slaapt beter",
    "controle van de suikers: nuchter 7,8",
    "voeding gaat redelijk, gewicht stabiel",
    "fysiotherapie loopt, mobiliteit verbetert langzaam",
    "familie is op de hoogte",
    "de huidskleur is goed, geen koorts",
    "recept is doorgestuurd naar de apotheek",
    "zullen we het in het MDO bespreken?",
    "ik bel de mantelzorger vanmiddag",
)
WOUND = (
    "de wond aan het linker onderbeen geneest slecht, graag advies",
    "wond is schoon, verband vandaag verwisseld",
    "wondzorg: foto volgt, randen rood",
)
SUBJECTS = (
    "Medicatiebeoordeling",
    "Bloeddruk en medicatie",
    "Valrisico thuis",
    "Ontslag uit ziekenhuis",
    "Diabetescontrole",
    "Palliatieve zorg",
    "Wond onderbeen",
    "Voedingsadvies",
    "MDO-voorbereiding",
    "Herhaalrecept",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--member-of", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    run_on_throwaway_database(run, args)


def seed(args, connection):
    from accounts.levels import Level, Role
    from accounts.models import Membership, Organisation, OrganisationKind, User
    from conversations.models import (
        Conversation,
        Message,
        Participant,
        ReadState,
        SharedInbox,
        SharedInboxMember,
    )
    from network.models import Patient

    rng = random.Random(7)
    t0 = time.perf_counter()
    practice = Organisation.objects.create(
        name="Huisartsenpraktijk Bench", kind=OrganisationKind.GP_PRACTICE, agb_code="01099998"
    )
    kinds = [
        OrganisationKind.DISTRICT_NURSING,
        OrganisationKind.PHYSIOTHERAPY,
        OrganisationKind.PHARMACY,
        OrganisationKind.DIETETICS,
        OrganisationKind.ELDERLY_CARE_PHYSICIAN,
    ]
    partners = Organisation.objects.bulk_create(
        Organisation(name=f"Partner Bench {i}", kind=kinds[i % len(kinds)]) for i in range(20)
    )
    gp = User.objects.create_user(
        email="gp@inbox.bench.nl",
        password=None,
        first_name="Gea",
        last_name="Bench",
        is_demo_account=True,
    )
    gp_membership = Membership.objects.create(
        user=gp, organisation=practice, level=Level.A, has_patient_data_access=True
    )
    others = User.objects.bulk_create(
        User(email=f"u{i}@inbox.bench.nl", first_name="Collega", last_name=f"Bench {i}")
        for i in range(400)
    )
    memberships = Membership.objects.bulk_create(
        Membership(user=u, organisation=practice, level=Level.C)
        if i < 20
        else Membership(user=u, organisation=partners[i % 20], role=Role.PROVIDER)
        for i, u in enumerate(others)
    )
    org_of = {m.user_id: m.organisation_id for m in memberships}
    org_of[gp.pk] = practice.pk
    inbox = SharedInbox.objects.create(organisation=practice, name="Praktijk-inbox")
    SharedInboxMember.objects.create(inbox=inbox, user=gp, added_by=gp)
    patients = Patient.objects.bulk_create(
        Patient(
            practice=practice,
            his_id=str(i),
            surname=f"Patiënt{i}",
            first_name="Bench",
            birth_date="1940-01-01",
            is_visible=i % 3 == 0,
        )
        for i in range(2_000)
    )

    n = args.conversations
    gp_in = set(rng.sample(range(n), args.member_of))
    conversations = []
    people: list[list[int]] = []
    via_inbox: list[bool] = []
    for i in range(n):
        consultation = rng.random() < 0.2
        closed = rng.random() < 0.1
        users = [u.pk for u in rng.sample(others, rng.choice((1, 1, 2, 3)))]
        inbox_route = i in gp_in and rng.random() < 0.1
        if i in gp_in and not inbox_route:
            users.insert(rng.randrange(len(users) + 1), gp.pk)
        people.append(users)
        via_inbox.append(inbox_route)
        subject = rng.choice(SUBJECTS)
        conversations.append(
            Conversation(
                kind="consultation" if consultation else "conversation",
                subject=subject,
                patient=rng.choice(patients) if rng.random() < 0.4 else None,
                created_by_id=users[0],
                created_for_id=org_of[users[0]],
                closed_at="2026-06-01T12:00:00Z" if closed else None,
                state=(
                    ("closed" if closed else rng.choice(("open", "picked_up", "answered")))
                    if consultation
                    else ""
                ),
                picked_up_by_id=users[-1] if consultation and len(users) > 1 else None,
            )
        )
    conversations = Conversation.objects.bulk_create(conversations, batch_size=2_000)
    Participant.objects.bulk_create(
        (
            Participant(conversation=c, user_id=u, organisation_id=org_of[u])
            for c, users in zip(conversations, people, strict=True)
            for u in users
        ),
        batch_size=5_000,
    )
    Participant.objects.bulk_create(
        Participant(conversation=c, inbox=inbox, organisation=practice)
        for c, routed in zip(conversations, via_inbox, strict=True)
        if routed
    )
    print(f"  conversations and participants: {time.perf_counter() - t0:.1f}s")

    # Messages: uneven (a few long threads, many short ones), authors from the participants.
    t1 = time.perf_counter()
    weights = [min(rng.paretovariate(1.2), 40) for _ in range(n)]
    order = list(range(n)) + rng.choices(range(n), weights=weights, k=args.messages - n)
    rng.shuffle(order)  # interleaved in time, as real traffic is
    batch = []
    created = 0
    for i in order:
        authors = people[i] if not via_inbox[i] else [*people[i], gp.pk]
        author = rng.choice(authors)
        body = rng.choice(WOUND) if rng.random() < 0.03 else ". ".join(rng.sample(WORDS, 2))
        batch.append(
            Message(
                conversation_id=conversations[i].pk,
                author_id=author,
                author_organisation_id=org_of[author],
                body=body,
                client_key=uuid.uuid4(),
            )
        )
        if len(batch) == 10_000:
            Message.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    Message.objects.bulk_create(batch)
    created += len(batch)
    with connection.cursor() as cursor:
        # Spread the times over a year, in id order (bulk_create stamps them all "now").
        cursor.execute(
            "UPDATE conversations_message SET created_at = "
            "timestamptz '2025-11-01 08:00+01' + (id - (SELECT min(id) FROM conversations_message))"
            " * interval '150 seconds'"
        )
        cursor.execute(
            "UPDATE conversations_conversation c SET last_message_at = m.last_at, "
            "last_message_id = m.last_id, message_count = m.n, created_at = m.first_at "
            "FROM (SELECT conversation_id, max(created_at) last_at, min(created_at) first_at, "
            "max(id) last_id, count(*) n FROM conversations_message GROUP BY conversation_id) m "
            "WHERE c.id = m.conversation_id"
        )
        cursor.execute(
            "SELECT conversation_id, array_agg(id ORDER BY id) FROM conversations_message "
            "GROUP BY conversation_id"
        )
        ids = dict(cursor.fetchall())
    print(f"  {created} messages: {time.perf_counter() - t1:.1f}s")

    # Read states: everyone taking part; most read to the end, some behind, a few flagged.
    t2 = time.perf_counter()
    states = []
    for c, users, routed in zip(conversations, people, via_inbox, strict=True):
        readers = [*users, gp.pk] if routed else users
        message_ids = ids[c.pk]
        for u in readers:
            roll = rng.random()
            if u == gp.pk and roll < 0.15:
                continue  # never opened
            behind = 0 if roll < 0.8 else rng.randint(1, min(5, len(message_ids)))
            states.append(
                ReadState(
                    conversation=c,
                    user_id=u,
                    last_read_message_id=message_ids[-1 - behind]
                    if behind < len(message_ids)
                    else 0,
                    is_flagged=u == gp.pk and rng.random() < 0.05,
                )
            )
    ReadState.objects.bulk_create(states, batch_size=5_000)
    with connection.cursor() as cursor:
        for table in (
            "conversations_conversation",
            "conversations_message",
            "conversations_participant",
            "conversations_readstate",
            "network_patient",
        ):
            cursor.execute(f"ANALYZE {table}")
    print(f"  {len(states)} read states + ANALYZE: {time.perf_counter() - t2:.1f}s")
    return gp, gp_membership


def timed_pages(client, connection, pages, runs) -> list[tuple[str, float, dict]]:
    """Fetch each page ``runs`` times; returns (label, p95, slowest query of the last run)."""
    from django.test.utils import CaptureQueriesContext

    results = []
    for label, url in pages:
        response = client.get(url)  # warm caches
        assert response.status_code == 200, (url, response.status_code)
        for _ in range(5):  # warm up: compiled templates, PostgreSQL's buffers
            client.get(url)
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t0) * 1000)
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
        p95 = percentile(timings, 95)
        print(
            f"  {label:40s} queries={len(queries):2d} median={statistics.median(timings):6.1f} ms "
            f"p95={p95:6.1f} ms  slowest query {float(slowest['time']) * 1000:5.1f} ms"
        )
        results.append((label, p95, slowest))
    return results


def explain(connection, sql: str) -> tuple[float, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [row[0] for row in cursor.fetchall()]
    total = next(
        (float(line.split(":")[1].split()[0]) for line in lines if "Execution Time" in line), 0.0
    )
    return total, "\n".join(lines)


def run(args, connection) -> None:
    from django.conf import settings
    from django.test import Client

    from conversations.models import Conversation, Message, Participant, ReadState

    settings.DEMO_ACCOUNTS_REQUIRE_MFA = False
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    t0 = time.perf_counter()
    gp, _membership = seed(args, connection)
    mine = (
        Participant.objects.filter(user=gp).count()
        + Participant.objects.filter(inbox__members__user=gp).count()
    )
    print(
        f"seeded in {time.perf_counter() - t0:.1f}s: {Conversation.objects.count()} conversations, "
        f"{Message.objects.count()} messages, {Participant.objects.count()} participants, "
        f"{ReadState.objects.count()} read states; the GP takes part in {mine} "
        f"(directly or through the shared inbox)"
    )

    from accounts.models import User

    colleague = User.objects.get(email="u0@inbox.bench.nl").pk
    # The seeding's objects are garbage now; collect them once and freeze what is left, so a
    # full collection of a heap grown by 200,000 inserts does not land in a timed request.
    connection.queries_log.clear()
    gc.collect()
    gc.freeze()
    client = Client()
    client.force_login(gp)
    print(f"GP in {args.member_of} of {args.conversations} conversations, {args.runs} runs each:")
    results = timed_pages(
        client,
        connection,
        [
            ("inbox (Gesprekken), page 1", "/gesprekken/"),
            ("inbox, page 50", "/gesprekken/?page=50"),
            ("inbox, search 'wond'", "/gesprekken/?q=wond"),
            ("inbox, search 'de bloeddruk -koorts'", "/gesprekken/?q=de+bloeddruk+-koorts"),
            ("inbox, one person", f"/gesprekken/?person={colleague}"),
            ("inbox, flagged tab", "/gesprekken/?tab=flagged"),
            ("inbox, archive tab", "/gesprekken/?tab=archive"),
            ("consultations (Consultaties), page 1", "/consultaties/"),
            ("unread badge (/gesprekken/teller/)", "/gesprekken/teller/"),
        ],
        args.runs,
    )
    print("\nEXPLAIN ANALYZE of each page's slowest query (one run each):")
    plans = []
    for label, _p95, query in results:
        ms, plan = explain(connection, query["sql"])
        plans.append((ms, label, query["sql"], plan))
        print(f"  {label:40s} {ms:7.1f} ms")
    ms, label, sql, plan = max(plans)
    print(f"\nSlowest query overall ({label}, {ms:.1f} ms):\n{sql}\n\n{plan}")


if __name__ == "__main__":
    main()
