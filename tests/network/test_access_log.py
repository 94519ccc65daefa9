"""The access log (NEN 7513): complete entries, one hash chain, tamper evidence, append-only.

What a privacy officer checks: every entry says who (and on whose responsibility), for which
organisation, in which role, did what with which patient's data, when, from where and in which
request; editing or removing an entry is noticed by ``verify_access_log``; PostgreSQL refuses
to change or remove entries at all; and when the log cannot be written, nothing is shown.
"""

from __future__ import annotations

import datetime
import io
import re
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from network.access import Actor
from network.access_log import (
    GENESIS_HASH,
    AccessLogUnavailable,
    LogLine,
    access_log_verify,
    access_log_write,
    access_log_write_many,
    entry_digest,
)
from network.access_log_chain import access_log_keys
from network.models import (
    AccessAction,
    AccessLogEntry,
    AccessOutcome,
    AccessRelationship,
    DataCategory,
)

pytestmark = pytest.mark.django_db

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX32 = re.compile(r"[0-9a-f]{32}")

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger (migration 0004) exists only on PostgreSQL; "
    "SQLite has no such guard",
)


def _actor(user, **overrides) -> Actor:
    values = {
        "user": user,
        "membership": user.memberships.get(),
        "ip_address": "192.0.2.10",
        "user_agent": "Mozilla/5.0 test",
        "request_id": "req-12345678",
    }
    return Actor(**(values | overrides))


def _write(actor, patient, **fields) -> AccessLogEntry:
    values = {
        "action": AccessAction.READ,
        "relationship": AccessRelationship.OWN_PRACTICE,
        "patient": patient,
        "data": [DataCategory.IDENTITY, DataCategory.MEDICATION],
    }
    return access_log_write(actor=actor, **(values | fields))


@contextmanager
def _append_only_lifted():
    """Let the test play the attacker with database access: lift PostgreSQL's trigger.

    ``SET LOCAL`` lasts at most until the test's transaction is rolled back; the guard is put
    back as soon as the block ends. SQLite has no trigger to lift.
    """
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")


def _verify_command() -> str:
    out = io.StringIO()
    call_command("verify_access_log", stdout=out)
    return out.getvalue()


# --- What one entry holds ----------------------------------------------------------------


@pytest.mark.parametrize("action", AccessAction.values)
def test_each_action_writes_one_complete_entry(gp, practice, patient, action):
    membership = gp.memberships.get()
    before = timezone.now()

    returned = _write(_actor(gp), patient, action=action)

    after = timezone.now()
    assert AccessLogEntry.objects.count() == 1
    entry = AccessLogEntry.objects.get()
    assert entry.pk == returned.pk
    # When: an aware UTC time, taken at the write.
    assert timezone.is_aware(entry.at)
    assert entry.at.utcoffset() == datetime.timedelta(0)
    assert before <= entry.at <= after
    # Who, for which organisation, on whose responsibility, in which role.
    assert entry.user == gp
    assert "Gerrit Postma" in entry.user_label
    assert "gp@delinde.nl" in entry.user_label
    assert entry.organisation == practice
    assert entry.organisation_label == "Huisartsenpraktijk De Linde"
    assert entry.responsible_user == gp
    assert str(membership.get_level_display()) in entry.role
    # What, with whose data, why.
    assert entry.patient == patient
    assert entry.data == "identity,medication"
    assert entry.action == action
    assert entry.relationship == AccessRelationship.OWN_PRACTICE
    assert entry.outcome == AccessOutcome.ALLOWED
    # From where, in which request.
    assert entry.ip_address == "192.0.2.10"
    assert entry.user_agent == "Mozilla/5.0 test"
    assert entry.request_id == "req-12345678"
    # Its place in the chain: the first entry follows the genesis hash; an HMAC with the key of
    # the settings, named by its id.
    assert entry.prev_hash == GENESIS_HASH == "0" * 64
    assert HEX64.fullmatch(entry.hash)
    assert entry.key_id == access_log_keys().current_id


def test_entry_names_the_responsible_user_when_working_under_someone_elses_responsibility(
    gp, assistant, patient
):
    membership = assistant.memberships.get()
    membership.acts_for = gp
    membership.save()

    entry = _write(_actor(assistant, membership=membership), patient)

    entry.refresh_from_db()
    assert entry.user == assistant
    assert "Aaltje Bosma" in entry.user_label
    assert entry.responsible_user == gp


def test_refused_access_is_logged_as_refused(outsider, other_practice, patient):
    entry = _write(
        _actor(outsider),
        patient,
        relationship=AccessRelationship.NONE,
        outcome=AccessOutcome.DENIED,
        data=[],
    )

    entry.refresh_from_db()
    assert entry.user == outsider
    assert entry.organisation == other_practice
    assert entry.patient == patient
    assert entry.outcome == AccessOutcome.DENIED
    assert entry.relationship == AccessRelationship.NONE


def test_search_entry_stores_the_query_and_no_patient(gp, patient):
    entry = access_log_write(
        actor=_actor(gp),
        action=AccessAction.SEARCH,
        relationship=AccessRelationship.NONE,
        query="meer 1941",
    )

    entry.refresh_from_db()
    assert entry.action == AccessAction.SEARCH
    assert entry.query == "meer 1941"
    assert entry.patient is None
    assert entry.data == ""


# --- One chain ---------------------------------------------------------------------------


def test_each_entry_points_at_the_previous_entrys_hash_and_the_chain_verifies(gp, patient):
    actor = _actor(gp)
    first = _write(actor, patient, action=AccessAction.READ)
    second = _write(actor, patient, action=AccessAction.UPDATE)
    third = _write(actor, patient, action=AccessAction.PRINT)

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    report = access_log_verify()
    assert report.ok
    assert report.checked == 3
    assert report.broken_id is None


def test_write_many_chains_its_lines_in_order_in_one_go(gp, patient):
    actor = _actor(gp)
    earlier = _write(actor, patient)
    lines = [
        LogLine(
            action=AccessAction.READ,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient_id=patient.pk,
            data=(DataCategory.IDENTITY,),
        ),
        LogLine(
            action=AccessAction.EXPORT,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient_id=patient.pk,
            data=(DataCategory.MEDICATION, DataCategory.EPISODES),
        ),
        LogLine(action=AccessAction.SEARCH, relationship=AccessRelationship.NONE, query="dijkstra"),
    ]

    written = access_log_write_many(actor=actor, lines=lines)

    stored = list(AccessLogEntry.objects.filter(pk__gt=earlier.pk).order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in written]
    assert [(e.action, e.data, e.query) for e in stored] == [
        ("read", "identity", ""),
        ("export", "medication,episodes", ""),
        ("search", "", "dijkstra"),
    ]
    assert [e.prev_hash for e in stored] == [earlier.hash, stored[0].hash, stored[1].hash]
    assert len({e.at for e in stored}) == 1  # one moment: the lines describe one act
    report = access_log_verify()
    assert report.ok
    assert report.checked == 4


# --- Tamper evidence ---------------------------------------------------------------------


def _three_entries(gp, patient) -> list[AccessLogEntry]:
    actor = _actor(gp)
    return [
        _write(actor, patient, action=action)
        for action in (AccessAction.READ, AccessAction.EXPORT, AccessAction.PRINT)
    ]


def test_verify_command_reports_an_intact_log_and_its_size(gp, patient):
    _three_entries(gp, patient)

    output = _verify_command()

    assert "intact" in output
    assert "3 entries" in output


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("data", "identity,medication,journal"),
        ("user_label", "Iemand Anders <iemand@example.nl>"),
        ("action", AccessAction.READ),
        ("outcome", AccessOutcome.DENIED),
        ("request_id", "req-00000000"),
        ("at", datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)),
    ],
)
def test_editing_an_entry_is_named_by_verify_access_log(gp, patient, field, value):
    _, middle, _ = _three_entries(gp, patient)

    with _append_only_lifted():
        assert AccessLogEntry.objects.filter(pk=middle.pk).update(**{field: value}) == 1

    with pytest.raises(CommandError) as excinfo:
        _verify_command()
    message = str(excinfo.value)
    assert f"#{middle.pk}:" in message
    assert "content does not match its hash" in message
    assert "1 entries before it are intact" in message


def test_rewriting_an_entry_with_a_fresh_hash_breaks_the_link_to_the_next(gp, patient):
    """Even someone who has the key cannot rewrite one entry without the next noticing."""
    _, middle, last = _three_entries(gp, patient)
    forged = AccessLogEntry.objects.filter(pk=middle.pk).values().get()
    forged["data"] = "journal"
    forged_hash = entry_digest(forged, forged["prev_hash"], access_log_keys().current)

    with _append_only_lifted():
        AccessLogEntry.objects.filter(pk=middle.pk).update(data="journal", hash=forged_hash)

    with pytest.raises(CommandError) as excinfo:
        _verify_command()
    assert f"#{last.pk}:" in str(excinfo.value)
    assert "previous hash does not match" in str(excinfo.value)


def test_removing_an_entry_is_named_at_the_next_entry(gp, patient):
    _, middle, last = _three_entries(gp, patient)

    with _append_only_lifted():
        AccessLogEntry.objects.filter(pk=middle.pk).delete()

    assert AccessLogEntry.objects.count() == 2
    with pytest.raises(CommandError) as excinfo:
        _verify_command()
    assert f"#{last.pk}:" in str(excinfo.value)
    assert "previous hash does not match" in str(excinfo.value)


# --- Append-only (PostgreSQL) ------------------------------------------------------------


def _update(entry):
    AccessLogEntry.objects.filter(pk=entry.pk).update(data="x")


def _delete(entry):
    AccessLogEntry.objects.filter(pk=entry.pk).delete()


def _save(entry):
    entry.data = "x"
    entry.save()


@requires_postgresql
@pytest.mark.parametrize("change", [_update, _delete, _save], ids=["update", "delete", "save"])
def test_database_refuses_to_change_or_remove_a_log_entry(gp, patient, change):
    entry = _write(_actor(gp), patient)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(entry)

    stored = AccessLogEntry.objects.get(pk=entry.pk)
    assert stored.data == "identity,medication"
    # Appending still works, and the chain is whole.
    later = _write(_actor(gp), patient, action=AccessAction.UPDATE)
    assert later.prev_hash == entry.hash
    report = access_log_verify()
    assert report.ok
    assert report.checked == 2


@pytest.mark.parametrize("target", ["patient", "user", "organisation"])
def test_patient_user_or_organisation_in_the_log_cannot_be_deleted(gp, practice, patient, target):
    entry = _write(_actor(gp), patient)
    obj = {"patient": patient, "user": gp, "organisation": practice}[target]

    with pytest.raises(ProtectedError) as excinfo, transaction.atomic():
        obj.delete()

    assert entry in excinfo.value.protected_objects
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()
    assert type(obj).objects.filter(pk=obj.pk).exists()


# --- Fail closed ---------------------------------------------------------------------------


def test_writer_raises_and_writes_nothing_when_the_database_refuses(gp, patient, monkeypatch):
    earlier = _write(_actor(gp), patient)

    def disk_full(*args, **kwargs):
        raise OperationalError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(AccessLogEntry.objects, "bulk_create", disk_full)
        with pytest.raises(AccessLogUnavailable, match="disk full"):
            _write(_actor(gp), patient, action=AccessAction.EXPORT)

    assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == [earlier.pk]
    # The next successful write continues the chain from the last real entry.
    later = _write(_actor(gp), patient, action=AccessAction.EXPORT)
    assert later.prev_hash == earlier.hash
    assert access_log_verify().ok


@requires_postgresql
def test_writer_raises_when_postgresql_rejects_the_row(gp, patient):
    """A real refusal: ``action`` is varchar(8); PostgreSQL will not truncate it silently."""
    with pytest.raises(AccessLogUnavailable):
        _write(_actor(gp), patient, action="download-all")

    assert not AccessLogEntry.objects.exists()
    assert _write(_actor(gp), patient).prev_hash == GENESIS_HASH


def test_page_shows_an_apology_and_no_patient_data_when_the_log_cannot_be_written(
    secure_client, gp, patient, monkeypatch
):
    client = secure_client(gp)

    def disk_full(*args, **kwargs):
        raise OperationalError("disk full")

    monkeypatch.setattr(AccessLogEntry.objects, "bulk_create", disk_full)
    response = client.get(reverse("network:patient-detail", args=[patient.pk]))

    assert response.status_code == 503
    body = response.content.decode()
    assert "Geertje" not in body
    assert "Meer" not in body
    assert not AccessLogEntry.objects.filter(patient=patient).exists()


# --- Request ids ---------------------------------------------------------------------------


def test_every_response_carries_a_fresh_request_id(client):
    first = client.get(reverse("account_login"))
    second = client.get(reverse("account_login"))

    assert HEX32.fullmatch(first["X-Request-ID"])
    assert HEX32.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_sane_incoming_request_id_is_kept(client):
    response = client.get(reverse("account_login"), HTTP_X_REQUEST_ID="abc-12345678")

    assert response["X-Request-ID"] == "abc-12345678"


@pytest.mark.parametrize(
    "incoming",
    ["<script>", "x" * 500, "abc", "req 12345678", "req-1234;5678"],
    ids=["markup", "500-chars", "too-short", "space", "semicolon"],
)
def test_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get(reverse("account_login"), HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert HEX32.fullmatch(response["X-Request-ID"])


def test_page_view_logs_the_request_id_address_and_browser_it_answered_with(
    secure_client, gp, patient
):
    client = secure_client(gp)

    response = client.get(
        reverse("network:patient-detail", args=[patient.pk]),
        HTTP_X_REQUEST_ID="proxy-0123456789",
        HTTP_USER_AGENT="Mozilla/5.0 (praktijk-pc)",
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 200
    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert entry.user == gp
    assert entry.action == AccessAction.READ
    assert entry.request_id == response["X-Request-ID"] == "proxy-0123456789"
    assert entry.ip_address == "198.51.100.7"
    assert entry.user_agent == "Mozilla/5.0 (praktijk-pc)"
    assert access_log_verify().ok


@pytest.mark.parametrize("address", ["::ffff:192.0.2.10", "fe80::1%eth0", "2001:DB8::0:1"])
def test_entry_from_an_ipv6_address_still_verifies(gp, patient, address):
    # A dual-stack server (listening on ::) reports IPv4 clients as IPv4-mapped addresses.
    _write(_actor(gp, ip_address=address), patient)

    assert access_log_verify().ok
