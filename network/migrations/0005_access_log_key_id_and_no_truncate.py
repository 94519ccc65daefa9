"""The access log's entries name the key of their HMAC; PostgreSQL refuses TRUNCATE of the log.

Existing rows keep an empty key id (they were hashed with plain SHA-256 and stay verifiable as
such); nothing is updated — the append-only trigger would refuse it anyway. Adding a column with
a constant default does not rewrite rows, so no row trigger fires.

TRUNCATE does not fire row triggers, so migration 0004's trigger never saw it: a statement-level
BEFORE TRUNCATE trigger raises instead. (The application's role has no TRUNCATE privilege at
all, see ``manage.py db_app_role``; this trigger stops the owner's accidental ``flush`` too.)
"""

from django.db import migrations, models

# The function of migration 0004 names the refused operation (TG_OP), TRUNCATE included.
NO_TRUNCATE_SQL = """
CREATE TRIGGER network_accesslogentry_no_truncate
    BEFORE TRUNCATE ON network_accesslogentry
    FOR EACH STATEMENT EXECUTE FUNCTION network_access_log_append_only();
"""
DROP_SQL = "DROP TRIGGER IF EXISTS network_accesslogentry_no_truncate ON network_accesslogentry;"


def no_truncate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_TRUNCATE_SQL, params=None)


def drop_no_truncate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("network", "0004_matrix_defaults_and_append_only_log")]

    operations = [
        migrations.AddField(
            model_name="accesslogentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(no_truncate, drop_no_truncate),
    ]
