"""The access log against someone who owns the database: a keyed chain and seals outside it.

The attacker here is the database owner (the test's own connection): they lift the append-only
triggers (``ALTER TABLE … DISABLE TRIGGER``, which an owner may do) and edit, recompute, delete
or truncate. They do not have ``ACCESS_LOG_HMAC_KEY`` and cannot reach the seal directory.
``verify_access_log`` must name what they did, against the last seal, with the entry's id.
"""

from __future__ import annotations

import datetime
import io
import json
from contextlib import contextmanager

import psycopg
import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from network.access import Actor
from network.access_log import access_log_verify, access_log_write
from network.access_log_chain import GENESIS_HASH, access_log_keys, entry_digest, key_id_for
from network.access_log_seals import (
    AccessLogSealRefused,
    access_log_seal,
    access_log_seals_read,
)
from network.models import AccessAction, AccessLogEntry, AccessRelationship, DataCategory
from network.tasks import access_log_seal_task, access_log_verify_task

pytestmark = pytest.mark.django_db

TABLE = "network_accesslogentry"
ATTACKER_KEY = b"the-attackers-own-key-of-more-than-32-characters"
GENESIS_START = 0  # recompute from the very first entry
requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers and the lock exist only on PostgreSQL"
)


def _write(gp, patient, count: int) -> list[AccessLogEntry]:
    actor = Actor(user=gp, membership=gp.memberships.get(), ip_address="192.0.2.10")
    return [
        access_log_write(
            actor=actor,
            action=AccessAction.READ,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient=patient,
            data=[DataCategory.IDENTITY],
        )
        for _ in range(count)
    ]


@contextmanager
def _as_owner():
    """The owner lifts the append-only triggers (for this test's transaction only).

    ALTER TABLE may not run while foreign-key checks of earlier inserts are still deferred in
    the same transaction: those are checked first.
    """
    if connection.vendor != "postgresql":
        yield  # SQLite has no triggers to lift
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _recompute(
    *, start_at: int, key: bytes | None, key_id: str, stop_before: int | None = None
) -> None:
    """Rewrite every entry from ``start_at`` on (up to ``stop_before``) so that each links to
    the one before it."""
    rows = list(AccessLogEntry.objects.order_by("id").values())
    prev_hash = GENESIS_HASH
    with _as_owner():
        for row in rows:
            if stop_before is not None and row["id"] >= stop_before:
                break
            if row["id"] >= start_at:
                digest = entry_digest(row, prev_hash, key)
                AccessLogEntry.objects.filter(pk=row["id"]).update(
                    prev_hash=prev_hash, hash=digest, key_id=key_id
                )
                row["hash"] = digest
            prev_hash = row["hash"]


def _verify_command() -> str:
    out = io.StringIO()
    call_command("verify_access_log", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _seal_lines(settings) -> list[str]:
    (path,) = sorted(settings.ACCESS_LOG_SEAL_DIR.glob("access-log-seals-*.jsonl"))
    return path.read_text().splitlines()


# --- An untouched log ------------------------------------------------------------------------


def test_untouched_log_holds_against_its_seal_and_entries_written_after_it(gp, patient):
    entries = _write(gp, patient, 3)
    seal = access_log_seal().seal
    _write(gp, patient, 2)

    report = access_log_verify()

    assert report.ok
    assert (seal.head_id, seal.head_hash, seal.entries) == (entries[-1].pk, entries[-1].hash, 3)
    assert report.sealed == access_log_seals_read().last
    assert report.sealed.head_id == entries[-1].pk
    output = _verify_command()
    assert "Access log intact: 5 entries" in output
    assert f"Holds against the seal of {seal.at}" in output
    assert f"#{entries[-1].pk}, 3 entries" in output


def test_verify_says_so_when_there_is_no_seal_to_check_against(gp, patient):
    _write(gp, patient, 2)

    output = _verify_command()

    assert "Access log intact: 2 entries" in output
    assert "Not checked against a seal" in output


# --- (a) An edited row with a recomputed chain -------------------------------------------------


@pytest.mark.parametrize(
    ("key", "key_id", "chain_problem"),
    [
        # Plain SHA-256 from the first entry on, as if the log were older than its key: the
        # chain itself holds; only the seal knows the newest entry's real hash.
        (None, "", None),
        # The attacker's own key under its own id: unknown to the application.
        (ATTACKER_KEY, key_id_for(ATTACKER_KEY), "made with an unknown key"),
        # The attacker's key under the application's key id: the HMAC does not match.
        (ATTACKER_KEY, "current", "content does not match its hash"),
    ],
    ids=["plain-sha256", "other-key", "other-key-our-key-id"],
)
def test_edited_row_with_a_recomputed_chain_is_reported_against_the_last_seal(
    gp, patient, key, key_id, chain_problem
):
    entries = _write(gp, patient, 4)
    access_log_seal()
    victim = entries[1]
    with _as_owner():
        AccessLogEntry.objects.filter(pk=victim.pk).update(data="journal")
    key_id = access_log_keys().current_id if key_id == "current" else key_id
    _recompute(start_at=GENESIS_START if key is None else victim.pk, key=key, key_id=key_id)

    report = access_log_verify()

    assert not report.ok
    if chain_problem:
        assert report.broken_id == victim.pk
        assert chain_problem in report.problem
    else:
        assert report.broken_id is None  # the chain alone would not have noticed
    (problem,) = report.seal_problems
    assert f"entry #{entries[-1].pk} no longer has the hash the seal of" in problem
    assert "rewritten and recomputed" in problem
    with pytest.raises(CommandError) as excinfo:
        _verify_command()
    assert f"Against the seals: entry #{entries[-1].pk} no longer has the hash" in str(
        excinfo.value
    )


def test_unkeyed_entries_after_keyed_ones_are_a_break(gp, patient):
    """Else a forger would rewrite the newest, unsealed entries as plain SHA-256."""
    entries = _write(gp, patient, 3)
    _recompute(start_at=entries[1].pk, key=None, key_id="")

    report = access_log_verify()

    assert report.broken_id == entries[1].pk
    assert report.problem == "an unkeyed (plain SHA-256) entry after keyed entries"


# --- (b) The newest entries deleted after a seal ----------------------------------------------


def test_newest_entries_deleted_after_a_seal_are_reported_against_it(gp, patient):
    entries = _write(gp, patient, 5)
    seal = access_log_seal().seal
    with _as_owner():
        AccessLogEntry.objects.filter(pk__in=[e.pk for e in entries[-2:]]).delete()

    report = access_log_verify()

    assert report.broken_id is None  # what is left is a valid, shorter chain
    assert report.sealed.sig == seal.sig
    assert report.seal_problems == (
        f"entry #{entries[-1].pk}, the newest at {report.sealed.label}, is missing and the "
        f"log now ends at #{entries[2].pk}: the newest entries were deleted after the seal",
    )
    with pytest.raises(CommandError) as excinfo:
        _verify_command()
    assert "the newest entries were deleted after the seal" in str(excinfo.value)


def test_entries_deleted_after_a_seal_are_reported_when_new_ones_followed(gp, patient):
    entries = _write(gp, patient, 4)
    access_log_seal()
    with _as_owner():
        AccessLogEntry.objects.filter(pk__in=[e.pk for e in entries[-2:]]).delete()
    _write(gp, patient, 2)  # the chain goes on from what is left, so it holds

    report = access_log_verify()

    assert report.broken_id is None
    (problem,) = report.seal_problems
    assert problem.startswith(f"entry #{entries[-1].pk}, the newest at the seal of")
    assert problem.endswith("is missing: entries were deleted after the seal")


def test_sealing_stops_rather_than_seal_over_deleted_entries(gp, patient, settings):
    entries = _write(gp, patient, 3)
    first = access_log_seal().seal
    with _as_owner():
        AccessLogEntry.objects.filter(pk=entries[-1].pk).delete()
    _write(gp, patient, 1)

    with pytest.raises(AccessLogSealRefused, match=f"entry #{entries[-1].pk}, the newest at"):
        access_log_seal(force=True)

    assert access_log_seal_task.delay().get() is None  # logged as an error, not retried
    assert _seal_lines(settings) == [first.line()]  # the last good seal stays the reference


def test_sealing_stops_when_the_chain_after_the_last_seal_is_broken(gp, patient):
    _write(gp, patient, 2)
    access_log_seal()
    later = _write(gp, patient, 3)
    with _as_owner():
        AccessLogEntry.objects.filter(pk=later[1].pk).update(data="journal")

    with pytest.raises(AccessLogSealRefused, match=f"entry #{later[1].pk}: content does not"):
        access_log_seal()


# --- (c) An emptied log ------------------------------------------------------------------------


def test_truncated_log_is_reported_against_the_seal(gp, patient):
    entries = _write(gp, patient, 3)
    access_log_seal()
    with _as_owner(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {TABLE}")
        else:
            cursor.execute(f"DELETE FROM {TABLE}")  # SQLite has no TRUNCATE
    assert not AccessLogEntry.objects.exists()

    report = access_log_verify()

    assert report.checked == 0
    assert report.broken_id is None
    (problem,) = report.seal_problems
    assert problem == (
        f"the log is empty, but {report.sealed.label} covers 3 entries up to "
        f"#{entries[-1].pk}: the log was truncated"
    )
    with pytest.raises(CommandError, match="the log was truncated"):
        _verify_command()


@requires_postgresql
def test_database_refuses_to_truncate_the_log_even_for_its_owner(gp, patient):
    entries = _write(gp, patient, 2)

    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test's own inserts leave deferred foreign-key checks pending; run them first, so
        # what stops the TRUNCATE is the trigger and nothing else.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {TABLE}")

    assert AccessLogEntry.objects.count() == len(entries)


# --- The seal file ------------------------------------------------------------------------------


def test_seal_records_the_newest_entry_signed_and_chained_to_the_seal_before(gp, patient, settings):
    entries = _write(gp, patient, 2)

    first = access_log_seal()
    again = access_log_seal()
    _write(gp, patient, 1)
    second = access_log_seal()
    forced = access_log_seal(force=True)

    assert first.written
    assert not again.written  # same head, today already sealed: nothing new
    assert again.seal.sig == first.seal.sig  # the seal already in the file
    assert second.written
    assert forced.written
    lines = [json.loads(line) for line in _seal_lines(settings)]
    assert len(lines) == 3
    assert lines[0]["head_id"] == entries[-1].pk
    assert lines[0]["head_hash"] == entries[-1].hash
    assert lines[0]["head_key_id"] == access_log_keys().current_id
    assert lines[0]["entries"] == 2
    assert lines[0]["prev"] == ""
    assert lines[1]["entries"] == lines[2]["entries"] == 3
    assert lines[1]["prev"] == lines[0]["sig"]
    assert lines[2]["prev"] == lines[1]["sig"]
    assert datetime.datetime.fromisoformat(lines[0]["at"]).utcoffset() == datetime.timedelta(0)
    assert access_log_seals_read().problems == ()


def test_seal_of_an_empty_log_holds(settings):
    seal = access_log_seal().seal

    assert (seal.head_id, seal.entries) == (None, 0)
    assert access_log_verify().ok


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda r: r | {"entries": r["entries"] - 1}, "the signature does not match: altered"),
        (lambda r: r | {"head_id": r["head_id"] - 1}, "the signature does not match: altered"),
        (lambda r: r | {"key_id": "0badc0de"}, "signed with an unknown key (key id 0badc0de)"),
        (lambda r: "{not json", "not a seal"),
    ],
    ids=["entries", "head", "key-id", "garbage"],
)
def test_altered_seal_is_reported_and_the_seal_before_it_is_used(
    gp, patient, settings, tamper, problem
):
    first = _write(gp, patient, 2)
    access_log_seal()
    _write(gp, patient, 1)
    access_log_seal()
    path = next(settings.ACCESS_LOG_SEAL_DIR.glob("access-log-seals-*.jsonl"))
    lines = path.read_text().splitlines()
    altered = tamper(json.loads(lines[1]))
    lines[1] = altered if isinstance(altered, str) else json.dumps(altered)
    path.write_text("\n".join(lines) + "\n")

    report = access_log_verify()

    assert not report.ok
    assert report.broken_id is None
    assert report.seal_problems == (f"{path.name} line 2: {problem}",)
    assert report.sealed.head_id == first[-1].pk  # the last seal that holds
    with pytest.raises(CommandError, match="line 2"):
        _verify_command()


def test_a_removed_seal_is_reported(gp, patient, settings):
    for _ in range(3):
        _write(gp, patient, 1)
        access_log_seal()
    path = next(settings.ACCESS_LOG_SEAL_DIR.glob("access-log-seals-*.jsonl"))
    lines = path.read_text().splitlines()
    path.write_text(f"{lines[0]}\n{lines[2]}\n")

    report = access_log_verify()

    assert report.seal_problems == (
        f"{path.name} line 2: does not follow the seal before it: seals were removed or reordered",
    )


# --- Keys ---------------------------------------------------------------------------------------


def test_entries_from_before_the_key_still_verify_and_the_keyed_entry_after_them_covers_them(
    gp, patient
):
    _write(gp, patient, 3)
    _recompute(start_at=GENESIS_START, key=None, key_id="")  # as written before this change
    keyed = _write(gp, patient, 1)[0]

    report = access_log_verify()
    assert report.ok
    assert (report.checked, report.legacy) == (4, 3)
    assert keyed.key_id == access_log_keys().current_id
    assert "3 entries from before the chain had a key" in _verify_command()

    # Editing a legacy entry and recomputing the legacy part breaks the link to the keyed one.
    first = AccessLogEntry.objects.order_by("id").first()
    with _as_owner():
        AccessLogEntry.objects.filter(pk=first.pk).update(data="journal")
    _recompute(start_at=GENESIS_START, key=None, key_id="", stop_before=keyed.pk)
    report = access_log_verify()
    assert report.broken_id == keyed.pk


def test_a_replaced_key_verifies_while_listed_as_old_and_is_unknown_after(gp, patient, settings):
    old_key = settings.ACCESS_LOG_HMAC_KEY
    before = _write(gp, patient, 2)
    access_log_seal()
    settings.ACCESS_LOG_HMAC_KEY = "a-new-access-log-key-with-enough-characters-0123"
    settings.ACCESS_LOG_HMAC_OLD_KEYS = [old_key]

    after = _write(gp, patient, 1)[0]

    assert after.key_id == key_id_for(b"a-new-access-log-key-with-enough-characters-0123")
    assert after.key_id != before[0].key_id
    assert access_log_seal().written  # the old key's seal still verifies, and is chained to
    assert access_log_verify().ok
    settings.ACCESS_LOG_HMAC_OLD_KEYS = []
    report = access_log_verify()
    assert report.broken_id == before[0].pk
    assert report.problem == f"made with an unknown key (key id {before[0].key_id})"


# --- Without the writers' lock ------------------------------------------------------------------


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_sealing_does_not_wait_for_a_writer_holding_the_chain_lock(gp, patient):
    """Sealing reads the newest committed entry; it never takes the writers' advisory lock, so
    a writer in the middle of a write is not held up by it (and it is not held up either)."""
    entries = _write(gp, patient, 2)  # committed: this connection holds no lock any more
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as writer:
        writer.execute("SELECT pg_advisory_lock(7513)")  # a writer busy writing
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            seal = access_log_seal().seal
        finally:
            writer.execute("SELECT pg_advisory_unlock(7513)")
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")

    assert seal.head_id == entries[-1].pk


# --- Beat and the security officer --------------------------------------------------------------


def test_daily_seal_is_mailed_to_the_security_officer_in_dutch(gp, patient, settings, committing):
    settings.ACCESS_LOG_SEAL_EMAIL = ["fg@ketenzorgfriesland.nl"]
    entries = _write(gp, patient, 2)

    with committing():
        head_id = access_log_seal_task.delay(daily=True).get()

    assert head_id == entries[-1].pk
    (message,) = mail.outbox
    assert message.to == ["fg@ketenzorgfriesland.nl"]
    assert message.subject.startswith("Dagelijks zegel van het toegangslog (")
    assert f"Nieuwste vermelding: #{entries[-1].pk}; aantal vermeldingen: 2" in message.body
    assert _seal_lines(settings)[0] in message.body


def test_nightly_verify_mails_the_security_officer_what_does_not_hold(
    gp, patient, settings, committing
):
    settings.ACCESS_LOG_SEAL_EMAIL = ["fg@ketenzorgfriesland.nl"]
    entries = _write(gp, patient, 3)
    access_log_seal()
    with _as_owner():
        AccessLogEntry.objects.filter(pk=entries[-1].pk).delete()

    with committing():
        assert access_log_verify_task.delay().get() is False

    (message,) = mail.outbox
    assert message.subject == "Het toegangslog klopt niet"
    assert f"entry #{entries[-1].pk}, the newest at the seal of" in message.body


def test_seal_command_seals_and_says_what(gp, patient, settings):
    entries = _write(gp, patient, 2)
    out = io.StringIO()

    call_command("seal_access_log", stdout=out)

    assert f"Sealed #{entries[-1].pk} (2 entries)" in out.getvalue()
    assert len(_seal_lines(settings)) == 1
