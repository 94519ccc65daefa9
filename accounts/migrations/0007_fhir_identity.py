# Hand-written: a UUID on every row that Regiozorg sends as FHIR, in three steps (a nullable
# column, a fresh UUID for each existing row, then unique and not null), since one default for
# the whole column would give every existing row the same value.
import uuid

from django.db import migrations, models

import accounts.validators


def fill_uuids(apps, schema_editor):
    for model_name in ("organisation", "team", "user"):
        model = apps.get_model("accounts", model_name)
        rows = list(model.objects.filter(uuid__isnull=True).only("pk"))
        for row in rows:
            row.uuid = uuid.uuid4()
        model.objects.bulk_update(rows, ["uuid"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_organisations_from_network")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="ura_number",
            field=models.CharField(
                blank=True,
                max_length=8,
                validators=[accounts.validators.validate_ura_number],
                verbose_name="URA number",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="uzi_number",
            field=models.CharField(
                blank=True,
                max_length=9,
                validators=[accounts.validators.validate_uzi_number],
                verbose_name="UZI number",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="team",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name="user",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="organisation",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.AlterField(
            model_name="team",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.AlterField(
            model_name="user",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
