"""The PostgreSQL role the application connects as: everything it needs, and no more on the log.

The owner of the tables (who runs the migrations) can always rewrite them; so the application
does not connect as the owner. ``app_role_ensure`` (``manage.py db_app_role``, run by the owner
after every ``migrate``) gives a separate login role read and write access to every table and
sequence, now and for tables later migrations create, except:

- the access log (NEN 7513): SELECT and INSERT only — no UPDATE, DELETE or TRUNCATE;
- ``django_migrations``: SELECT only (the application never migrates).

The role gets no TRUNCATE, REFERENCES or TRIGGER anywhere, is no superuser, cannot create roles
or databases, and must not be a member of the owner role (it would inherit the owner's rights).
"""

from __future__ import annotations

import re

from django.db import connection, transaction
from psycopg import sql

from network.models import AccessLogEntry

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class AppRoleRefused(Exception):
    pass


def append_only_tables() -> tuple[str, ...]:
    return (AccessLogEntry._meta.db_table,)


@transaction.atomic
def app_role_ensure(*, role: str, password: str) -> None:
    """Create or update ``role`` (LOGIN, ``password``) with the privileges described above.

    Idempotent: run it after every migration; it re-grants on new tables and re-revokes on the
    append-only ones. Needs the owner of the tables, with the right to create roles.
    """
    if connection.vendor != "postgresql":
        raise AppRoleRefused("database roles exist only on PostgreSQL")
    if not _ROLE_NAME.fullmatch(role):
        raise AppRoleRefused(f"{role!r} is not a plain role name (a-z, 0-9, _)")
    if not password:
        raise AppRoleRefused("the role needs a password")
    quote = connection.ops.quote_name
    name = quote(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        owner, database, schema = cursor.fetchone()
        if role == owner:
            raise AppRoleRefused(f"{role} is the owner this command runs as")
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        # Utility statements take no bind parameters: the password goes in as a quoted literal.
        secret = sql.Literal(password).as_string(connection.connection)
        cursor.execute(f"{verb} ROLE {name} LOGIN PASSWORD {secret}")
        cursor.execute(
            f"ALTER ROLE {name} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        )
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
        if cursor.fetchone()[0]:
            raise AppRoleRefused(f"{role} is a member of {owner} and would have its rights")
        schema, database = quote(schema), quote(database)
        for statement in (
            f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {name}",
            f"GRANT USAGE ON SCHEMA {schema} TO {name}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {name}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {name}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {name}",
            # Tables and sequences the owner creates later (the next migrate) too.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {name}",
            f"REVOKE ALL ON {quote('django_migrations')} FROM {name}",
            f"GRANT SELECT ON {quote('django_migrations')} TO {name}",
        ):
            cursor.execute(statement)
        for table in append_only_tables():
            cursor.execute(f"REVOKE ALL ON {quote(table)} FROM {name}")
            cursor.execute(f"GRANT SELECT, INSERT ON {quote(table)} TO {name}")
