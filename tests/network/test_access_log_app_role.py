"""The role the application connects as (``manage.py db_app_role``) may add to the access log and
read it, and nothing more; everything else the application does still works.

The command runs as the test database's owner; then a separate connection logs in *as the role*
(and, for the application's own write path, Django's default connection is pointed at it). The
grants are committed (``transaction=True``) so that the other connection sees them. Roles belong
to the whole PostgreSQL cluster: every test makes one with a name of its own and drops it after.
"""

from __future__ import annotations

import io
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from psycopg import errors

from network.access_log import access_log_verify
from network.models import AccessLogEntry

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="database roles exist only on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]

TABLE = AccessLogEntry._meta.db_table
PASSWORD_ENV = "RZ_TEST_APP_DB_PASSWORD"
PASSWORD = "app-role-password-for-the-test"


def _owner_execute(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


@pytest.fixture
def app_role(monkeypatch):
    """A fresh role made by ``db_app_role``, dropped again afterwards (roles outlive the test
    database, so a rerun would otherwise find it)."""
    role = f"rz_test_app_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    try:
        call_command("db_app_role", role=role, password_env=PASSWORD_ENV, stdout=io.StringIO())
        yield role
    finally:
        connection.close()  # a connection still logged in as the role (see _django_connects_as)
        if _owner_execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]):
            # Revokes its privileges here and on the database, and its default privileges.
            _owner_execute(f"DROP OWNED BY {role}")
            _owner_execute(f"DROP ROLE {role}")


@contextmanager
def _connect_as(role: str):
    """A connection of its own, logged in as ``role`` (trust auth here; the password still goes
    along, as it would in production). Autocommit: a refused statement does not end the rest."""
    settings_dict = connection.settings_dict
    with psycopg.connect(
        dbname=settings_dict["NAME"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=role,
        password=PASSWORD,
        autocommit=True,
    ) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role,)
        yield conn


@contextmanager
def _django_connects_as(role: str):
    """Django's default connection logs in as ``role``: the application's own code paths
    (views, ``access_log_write``, ``verify``) then run with the role's rights only."""
    settings_dict = connection.settings_dict
    saved = settings_dict["USER"], settings_dict["PASSWORD"]
    connection.close()
    settings_dict["USER"], settings_dict["PASSWORD"] = role, PASSWORD
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (role,)
        yield
    finally:
        connection.close()
        settings_dict["USER"], settings_dict["PASSWORD"] = saved


def _refused(conn, statement: str, params=None, *, match: str = "permission denied") -> None:
    with pytest.raises(errors.InsufficientPrivilege, match=match):
        conn.execute(statement, params)


def _view_patient_as_role(login_with_totp, gp, patient) -> AccessLogEntry:
    """A real page view: log in with the second factor, open the patient's page."""
    client = login_with_totp(gp)
    response = client.get(reverse("network:patient-detail", args=[patient.pk]))
    assert response.status_code == 200
    return AccessLogEntry.objects.filter(patient=patient, user=gp).latest("id")


def test_the_role_can_read_the_log_but_not_update_delete_or_truncate_it(
    app_role, login_with_totp, gp, patient
):
    with _django_connects_as(app_role):
        client_entry = _view_patient_as_role(login_with_totp, gp, patient)
    entry_id = client_entry.pk

    with _connect_as(app_role) as conn:
        assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] >= 1
        _refused(conn, f"UPDATE {TABLE} SET data = 'journal' WHERE id = %s", [entry_id])
        _refused(conn, f"DELETE FROM {TABLE} WHERE id = %s", [entry_id])
        _refused(conn, f"TRUNCATE {TABLE}")
        # Nor lift the append-only triggers, as the owner could.
        _refused(conn, f"ALTER TABLE {TABLE} DISABLE TRIGGER USER", match="must be owner")

    assert AccessLogEntry.objects.get(pk=entry_id).data == client_entry.data
    assert access_log_verify().ok


def test_the_application_runs_as_the_role_and_its_log_verifies_without_a_warning(
    app_role, login_with_totp, gp, patient
):
    with _django_connects_as(app_role):
        # Logging in updates the user (last login), sessions and the second factor's last use;
        # the page view appends to the log through the application's own write path.
        entry = _view_patient_as_role(login_with_totp, gp, patient)
        report = access_log_verify()

    assert report.ok
    assert report.head_id == entry.pk
    # The owner (the test's superuser) is warned about; the application's role is not.
    assert report.warnings == ()
    assert "superuser" in access_log_verify().warnings[0]


def test_the_role_may_change_ordinary_tables_but_not_the_migrations_and_is_no_superuser(
    app_role, gp
):
    with _connect_as(app_role) as conn:
        conn.execute("UPDATE accounts_user SET first_name = 'Gerrit-Jan' WHERE id = %s", [gp.pk])
        assert conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0
        _refused(
            conn,
            "INSERT INTO django_migrations (app, name, applied) VALUES ('network', 'x', now())",
        )
        _refused(conn, "DELETE FROM django_migrations")
        _refused(conn, "TRUNCATE accounts_user")  # no TRUNCATE anywhere
        rights = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
            " FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        owner = _owner_execute("SELECT current_user")[0][0]
        member_of_owner = conn.execute(
            "SELECT pg_has_role(current_user, %s, 'MEMBER')", [owner]
        ).fetchone()[0]

    gp.refresh_from_db()
    assert gp.first_name == "Gerrit-Jan"
    assert rights == (False, False, False, False, False)
    assert member_of_owner is False


def test_running_the_command_again_changes_nothing_and_takes_back_rights_given_by_hand(app_role):
    _owner_execute(f"GRANT UPDATE, DELETE, TRUNCATE ON {TABLE} TO {app_role}")
    call_command("db_app_role", role=app_role, password_env=PASSWORD_ENV, stdout=io.StringIO())
    call_command("db_app_role", role=app_role, password_env=PASSWORD_ENV, stdout=io.StringIO())

    rights = _owner_execute(
        "SELECT privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = %s AND table_name = %s ORDER BY privilege_type",
        [app_role, TABLE],
    )
    assert [right for (right,) in rights] == ["INSERT", "SELECT"]
    with _connect_as(app_role) as conn:
        _refused(conn, f"DELETE FROM {TABLE}")


def test_tables_a_later_migration_creates_are_granted_to_the_role(app_role):
    _owner_execute("CREATE TABLE rz_test_later_table (id serial PRIMARY KEY, note text)")
    try:
        with _connect_as(app_role) as conn:
            conn.execute("INSERT INTO rz_test_later_table (note) VALUES ('new')")
            conn.execute("UPDATE rz_test_later_table SET note = 'changed'")
            conn.execute("DELETE FROM rz_test_later_table")
    finally:
        _owner_execute("DROP TABLE rz_test_later_table")


@pytest.mark.parametrize(
    ("role", "password", "message"),
    [
        ("Robert'); DROP TABLE", PASSWORD, "not a plain role name"),
        ("rz_test_app_nopassword", "", "is empty"),
    ],
)
def test_command_refuses_a_role_name_that_needs_quoting_or_no_password(
    role, password, message, monkeypatch
):
    monkeypatch.setenv(PASSWORD_ENV, password)
    with pytest.raises(CommandError, match=message):
        call_command("db_app_role", role=role, password_env=PASSWORD_ENV, stdout=io.StringIO())
    assert not _owner_execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
