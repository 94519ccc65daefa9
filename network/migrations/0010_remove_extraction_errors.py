# The error list now lives in ExtractionError (0008 moved it); in a migration of its own, since
# PostgreSQL does not alter a table in the transaction that just inserted rows pointing at it.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0009_extraction_errors_and_codes"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="extraction",
            name="errors",
        ),
    ]
