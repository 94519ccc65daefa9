# Hand-written: a UUID on every row that Regiozorg sends as FHIR, in three steps (a nullable
# column, a fresh UUID for each existing row, then unique and not null), since one default for
# the whole column would give every existing row the same value.
import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    for model_name in ("referral",):
        model = apps.get_model("referrals", model_name)
        rows = list(model.objects.filter(uuid__isnull=True).only("pk"))
        for row in rows:
            row.uuid = uuid.uuid4()
        model.objects.bulk_update(rows, ["uuid"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_access_grants_for_open_referrals")]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="referral",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
