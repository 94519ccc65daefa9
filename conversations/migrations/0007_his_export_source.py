"""A HIS export points at what it exports through a generic source (content type + id)
instead of a foreign key per app (``conversation``, ``feedback``): the export record moves to the
``his`` app (0007), which knows no conversation and no feedback.

Filled here from the old columns, which 0007 drops; the check that exactly one of them is set
goes first (it would refuse the rows while the columns are emptied on the way back). Reversible:
going back fills the old columns from the source.
"""

import django.db.models.deletion
from django.db import migrations, models

SOURCES = {
    "conversation_id": ("conversations", "conversation"),
    "feedback_id": ("referrals", "feedback"),
}


def _immediate(schema_editor):
    # The foreign keys are checked at commit on PostgreSQL; an ALTER TABLE after these updates
    # in the same transaction would refuse to run with their checks still pending.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def source_fill(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    HisExport = apps.get_model("conversations", "HisExport")
    db = schema_editor.connection.alias
    _immediate(schema_editor)
    for column, (app_label, model) in SOURCES.items():
        exports = HisExport.objects.using(db).filter(**{f"{column}__isnull": False})
        if not exports.exists():
            continue
        source_type, _ = ContentType.objects.using(db).get_or_create(
            app_label=app_label, model=model
        )
        exports.update(source_type=source_type, source_id=models.F(column))


def source_unfill(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    HisExport = apps.get_model("conversations", "HisExport")
    db = schema_editor.connection.alias
    _immediate(schema_editor)
    for column, (app_label, model) in SOURCES.items():
        source_type = ContentType.objects.using(db).filter(app_label=app_label, model=model).first()
        if source_type is not None:
            HisExport.objects.using(db).filter(source_type=source_type).update(
                **{column: models.F("source_id")}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("conversations", "0006_organisations_in_accounts"),
    ]

    operations = [
        migrations.AddField(
            model_name="hisexport",
            name="source_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AddField(
            model_name="hisexport",
            name="source_id",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.RemoveConstraint(
            model_name="hisexport",
            name="his_export_conversation_xor_feedback",
        ),
        migrations.RunPython(source_fill, source_unfill),
    ]
