"""The table the default cache falls back to while Redis is down (``accounts.cache``).

Created the way ``createcachetable`` creates a database cache's table; a migration rather than
that command, so every database has it after ``migrate`` (the default cache is not a
``DatabaseCache``, so ``createcachetable`` would not find it).
"""

from django.core.management.commands import createcachetable
from django.db import migrations

TABLE = "accounts_cache_fallback"


def create_table(apps, schema_editor):
    command = createcachetable.Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_notify_when_away")]

    operations = [migrations.RunPython(create_table, drop_table)]
