"""A database made by the main of before issue 12 migrates forward with nothing lost.

``main_before_issue12.sql.gz`` is a ``pg_dump --inserts`` of a PostgreSQL database built by
commit 9dcbb4a (the last main before the floors moved): ``migrate``, ``demo_seed``, then HIS
exports of every conversation and of the referral feedback, and a message with an attachment,
all written through that commit's own services (so the access-log chain is the real one).

The test loads it into a scratch database, runs today's ``manage.py migrate`` on it as a
deployment would, and then asserts that every organisation, membership, patient, conversation,
message, referral, export and access-log row is still there and unchanged, and that the
access-log hash chain still verifies. PostgreSQL only (the dump is PostgreSQL's).
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

HERE = Path(__file__).resolve().parent
DUMP = HERE / "main_before_issue12.sql.gz"
REPO = HERE.parent.parent
# The key the dump's chain was written with (the embedded default; never a production key).
DUMP_HMAC_KEY = "embedded-development-access-log-key-not-for-production"

# Every table whose rows must survive, keyed by the thing a user would miss.
KEPT = {
    "users": "accounts_user",
    "organisations": "network_organisation",
    "teams": "network_team",
    "memberships": "network_membership",
    "membership teams": "network_membership_teams",
    "patients": "network_patient",
    "care network": "network_carenetworkmember",
    "episodes": "network_episode",
    "measurements": "network_measurement",
    "conversations": "conversations_conversation",
    "participants": "conversations_participant",
    "messages": "conversations_message",
    "attachments": "conversations_attachment",
    "shared inboxes": "conversations_sharedinbox",
    "referrals": "referrals_referral",
    "referral events": "referrals_referralevent",
    "feedback": "referrals_feedback",
    "referral attachments": "referrals_referralattachment",
    "HIS exports": "conversations_hisexport",
    "access log": "network_accesslogentry",
}

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the dump is a PostgreSQL dump; CI runs this on PostgreSQL",
)


def _conninfo(dbname: str) -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(
        host=db.get("HOST") or "127.0.0.1",
        port=str(db.get("PORT") or 5432),
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname=dbname,
    )


def _url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{dbname}"


def _dump_sql() -> str:
    text = gzip.decompress(DUMP.read_bytes()).decode()
    # psql meta-commands (``\restrict`` of newer pg_dump) are not SQL.
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\"))


def _rows(conn, table: str) -> dict[int, dict]:
    query = sql.SQL("SELECT row_to_json(t)::jsonb FROM {} t").format(sql.Identifier(table))
    rows = [r[0] for r in conn.execute(query)]
    key = "id" if rows and "id" in rows[0] else None
    return {(r[key] if key else i): r for i, r in enumerate(rows)}


def _manage(dbname: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": _url(dbname),
        "DEBUG": "true",
        "ACCESS_LOG_HMAC_KEY": DUMP_HMAC_KEY,
        "ACCESS_LOG_HMAC_OLD_KEYS": "",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


SCHEMA_QUERIES = {
    "columns": (
        "SELECT table_name, column_name, data_type, is_nullable, column_default,"
        " character_maximum_length, numeric_precision FROM information_schema.columns"
        " WHERE table_schema = 'public'"
    ),
    "constraints": (
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE connamespace = 'public'::regnamespace"
    ),
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": (
        "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
        " WHERE NOT tgisinternal"
    ),
    "functions": "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
    "authorisation matrix": (
        "SELECT id, organisation_kind, identity, episodes, medication, contra_indications,"
        " measurements, journal FROM network_authorisationrule"
    ),
}


CASTS_AND_BRACKETS = re.compile(r"::[a-z ]+(\[\])?|[()\s]")


def _schema(conn) -> dict[str, set[tuple]]:
    """The catalogue, with PostgreSQL's casts and brackets left out of definitions: a restored
    dump spells ``IN (…)`` checks with other casts than the ``CREATE`` that made them."""
    return {
        what: {
            tuple(CASTS_AND_BRACKETS.sub("", v) if isinstance(v, str) else v for v in row)
            for row in conn.execute(query)
        }
        for what, query in SCHEMA_QUERIES.items()
    }


def _scratch_database(suffix: str):
    name = f"{settings.DATABASES['default']['NAME']}_{suffix}"
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(_conninfo("postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def old_main_database():
    for name in _scratch_database("migration_safety"):
        with psycopg.connect(_conninfo(name), autocommit=True) as conn:
            conn.execute(_dump_sql())
        yield name


@pytest.fixture
def new_database():
    yield from _scratch_database("migration_safety_new")


def test_old_main_database_migrates_forward_with_nothing_lost(old_main_database, new_database):
    with psycopg.connect(_conninfo(old_main_database)) as conn:
        before = {what: _rows(conn, table) for what, table in KEPT.items()}
    # The dump really holds each kind of row, or this test would prove nothing.
    assert all(before.values()), [what for what, rows in before.items() if not rows]

    migrated = _manage(old_main_database, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    with psycopg.connect(_conninfo(old_main_database)) as conn:
        after = {what: _rows(conn, table) for what, table in KEPT.items()}
        content_types = dict(
            conn.execute("SELECT app_label || '.' || model, id FROM django_content_type")
        )
    # An export names its source generically now (his/ knows no conversation or feedback): the
    # conversation or feedback it named before, by content type and number.
    for export in before["HIS exports"].values():
        conversation_id, feedback_id = export.pop("conversation_id"), export.pop("feedback_id")
        kind = "conversations.conversation" if conversation_id else "referrals.feedback"
        export["source_type_id"] = content_types[kind]
        export["source_id"] = conversation_id or feedback_id
    # Issue 14 gave every row that is sent as FHIR a UUID of its own (organisations, teams,
    # users, patients, referrals) and organisations and users an empty URA or UZI number.
    for what, rows in after.items():
        added = [row.pop("uuid") for row in rows.values() if "uuid" in row]
        assert None not in added and len(set(added)) == len(added), what
        for row in rows.values():
            assert row.pop("ura_number", "") == "" and row.pop("uzi_number", "") == "", what
    # Codes other systems send (issue 14): new columns, empty for the rows there were.
    for episode in before["episodes"].values():
        episode["snomed_code"] = ""
    for measurement in before["measurements"].values():
        measurement["value2"] = None
    for what in KEPT:
        assert after[what] == before[what], f"{what} changed by the migrations"
    # Receivers of a referral open today keep seeing the patient: through an access grant now.
    open_referrals = {
        (r["patient_id"], r["to_organisation_id"], r["to_team_id"], f"referral:{r['id']}")
        for r in after["referrals"].values()
        if r["state"] in ("sent", "accepted")
    }
    assert open_referrals
    with psycopg.connect(_conninfo(old_main_database)) as conn:
        grants = set(
            conn.execute(
                "SELECT patient_id, organisation_id, team_id, source FROM network_accessgrant"
                " WHERE ended_at IS NULL"
            )
        )
    assert grants == open_referrals

    verified = _manage(old_main_database, "verify_access_log")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"Access log intact: {len(before['access log'])} entries" in verified.stdout

    # Nothing is left for makemigrations: the models and the migrated database agree.
    pending = _manage(old_main_database, "makemigrations", "--check", "--dry-run")
    assert pending.returncode == 0, pending.stdout + pending.stderr

    # A new database takes the squashed migrations, an old one the steps they replace: both
    # must end with the same tables, columns, constraints, indexes, triggers and seeded matrix.
    created = _manage(new_database, "migrate", "--no-input")
    assert created.returncode == 0, created.stdout + created.stderr
    with (
        psycopg.connect(_conninfo(old_main_database)) as old,
        psycopg.connect(_conninfo(new_database)) as new,
    ):
        old_schema, new_schema = _schema(old), _schema(new)
    for what in SCHEMA_QUERIES:
        assert old_schema[what] - new_schema[what] == set(), f"{what} only after the old path"
        assert new_schema[what] - old_schema[what] == set(), f"{what} only in a new database"
