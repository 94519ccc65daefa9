"""The HIS connection and the HIS export belong to the ``his`` app from now on (``his/0001``
takes them over in the migration state). Their tables keep their names and every row; only the
old foreign keys to a conversation and to referral feedback go, now that 0006 copied them into
the export's source.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0007_his_export_source"),
        ("his", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="hisexport",
            name="his_export_conversation_idx",
        ),
        migrations.RemoveField(
            model_name="hisexport",
            name="conversation",
        ),
        migrations.RemoveField(
            model_name="hisexport",
            name="feedback",
        ),
        migrations.AlterField(
            model_name="hisexport",
            name="source_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AlterField(
            model_name="hisexport",
            name="source_id",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddIndex(
            model_name="hisexport",
            index=models.Index(
                fields=["source_type", "source_id", "-created_at"], name="his_export_source_idx"
            ),
        ),
        # The tables stay; only the state forgets them here (his/0001 knows them from now on).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="HisEndpoint"),
                migrations.DeleteModel(name="HisExport"),
            ],
        ),
    ]
