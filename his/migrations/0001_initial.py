"""The HIS connection and the HIS export, the models of the ``his`` app.

Their tables keep the names the conversations app gave them (``conversations_hisendpoint``,
``conversations_hisexport``). A database made before issue 12 has them, with every row:
conversations/0007 and 0008 (which depend on this migration) give the export its generic source
and then drop them from the conversations state, and here the models enter the ``his`` state and
their content types move (with their ids, so permissions and admin history stay attached). On a
new database the same conversations migrations make the tables; nothing here touches them.

No dependency on conversations: migrations, like imports, only depend on the floors below.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import his.models

MODELS = ("hisendpoint", "hisexport")


def _content_types_move(apps, schema_editor, *, old: str, new: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        # A database that already has the new one (made after a partial migrate) keeps both.
        if not content_types.filter(app_label=new, model=model).exists():
            content_types.filter(app_label=old, model=model).update(app_label=new)


def content_types_to_his(apps, schema_editor):
    _content_types_move(apps, schema_editor, old="conversations", new="his")


def content_types_to_conversations(apps, schema_editor):
    _content_types_move(apps, schema_editor, old="his", new="conversations")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0006_organisations_from_network"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HisEndpoint",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("token", models.CharField(max_length=500, verbose_name="token")),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "url",
                            models.URLField(
                                max_length=500,
                                validators=[his.models.validate_his_url],
                                verbose_name="HIS address",
                            ),
                        ),
                        (
                            "practice",
                            models.OneToOneField(
                                limit_choices_to={"kind": "gp_practice"},
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="his_endpoint",
                                to="accounts.organisation",
                                verbose_name="practice",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "HIS connection",
                        "verbose_name_plural": "HIS connections",
                        "db_table": "conversations_hisendpoint",
                        "ordering": ["practice__name"],
                    },
                ),
                migrations.CreateModel(
                    name="HisExport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("fhir_json", models.JSONField(verbose_name="FHIR resource")),
                        (
                            "idempotency_key",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "pending"),
                                    ("sent", "sent"),
                                    ("failed", "failed"),
                                ],
                                default="pending",
                                max_length=8,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveIntegerField(default=0, verbose_name="attempts"),
                        ),
                        ("last_error", models.TextField(blank=True, verbose_name="reason")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                        ),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
                        ),
                        ("source_id", models.PositiveBigIntegerField()),
                        (
                            "icpc_code",
                            models.CharField(
                                blank=True,
                                max_length=10,
                                validators=[his.models.validate_icpc_code],
                                verbose_name="ICPC code",
                            ),
                        ),
                        ("note_text", models.TextField(verbose_name="SOEP note")),
                        (
                            "practice",
                            models.ForeignKey(
                                limit_choices_to={"kind": "gp_practice"},
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="his_exports",
                                to="accounts.organisation",
                                verbose_name="practice",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="requested by",
                            ),
                        ),
                        (
                            "source_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="contenttypes.contenttype",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "HIS export",
                        "verbose_name_plural": "HIS exports",
                        "db_table": "conversations_hisexport",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["source_type", "source_id", "-created_at"],
                                name="his_export_source_idx",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_to_his, content_types_to_conversations),
    ]
