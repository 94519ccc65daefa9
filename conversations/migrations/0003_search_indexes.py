"""Dutch full-text search indexes for the inbox search (PostgreSQL only).

The expressions match what ``SearchVector(field, config="dutch")`` generates, so the planner
uses them for ``conversations.selectors._search``.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS message_body_fts ON conversations_message "
    "USING gin (to_tsvector('dutch'::regconfig, COALESCE(body, '')))",
    "CREATE INDEX IF NOT EXISTS conversation_subject_fts ON conversations_conversation "
    "USING gin (to_tsvector('dutch'::regconfig, COALESCE(subject, '')))",
]
DROP = [
    "DROP INDEX IF EXISTS message_body_fts",
    "DROP INDEX IF EXISTS conversation_subject_fts",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0002_hisendpoint_hisexport")]

    operations = [migrations.RunPython(forwards, backwards)]
