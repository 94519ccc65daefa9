"""Seed the authorisation matrix and make the access log append-only on PostgreSQL."""

from django.db import migrations

# identity, episodes, medication, contra-indications, measurements, journal (always off)
DEFAULTS = {
    "gp_practice": (True, True, True, True, True, False),  # locum / other practice
    "district_nursing": (True, True, True, True, True, False),
    "elderly_care_physician": (True, True, True, True, True, False),
    "pharmacy": (True, True, True, True, True, False),  # eGFR and episodes for dose checks
    "physiotherapy": (True, True, True, True, False, False),
    "dietetics": (True, True, True, True, True, False),
    "mental_health": (True, True, True, False, False, False),
    "social_domain": (True, False, False, False, False, False),
    "care_group": (False, False, False, False, False, False),
    "other": (True, False, False, False, False, False),
}
FIELDS = ("identity", "episodes", "medication", "contra_indications", "measurements", "journal")


def seed_matrix(apps, schema_editor):
    rule_model = apps.get_model("network", "AuthorisationRule")
    for kind, values in DEFAULTS.items():
        rule_model.objects.get_or_create(
            organisation_kind=kind, defaults=dict(zip(FIELDS, values, strict=True))
        )


APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION network_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER network_accesslogentry_append_only
    BEFORE UPDATE OR DELETE ON network_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION network_access_log_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS network_accesslogentry_append_only ON network_accesslogentry;
DROP FUNCTION IF EXISTS network_access_log_append_only();
"""


def append_only(apps, schema_editor):
    # SQLite (the embedded demo) has no such guard; its test flush deletes rows.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("network", "0003_patients")]

    operations = [
        migrations.RunPython(seed_matrix, migrations.RunPython.noop),
        migrations.RunPython(append_only, drop_append_only),
    ]
