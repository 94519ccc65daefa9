"""Organisations, teams and memberships now live in accounts (accounts 0006).

The foreign keys point at the same tables as before, so only Django's state changes.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_organisations_from_network"),
        ("conversations", "0005_his_export_of_feedback"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="conversation",
                    name="access_request_by",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.membership",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="access_request_practice",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="conversation",
                    name="created_for",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="hisendpoint",
                    name="practice",
                    field=models.OneToOneField(
                        limit_choices_to={"kind": "gp_practice"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="his_endpoint",
                        to="accounts.organisation",
                        verbose_name="practice",
                    ),
                ),
                migrations.AlterField(
                    model_name="hisexport",
                    name="practice",
                    field=models.ForeignKey(
                        limit_choices_to={"kind": "gp_practice"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="his_exports",
                        to="accounts.organisation",
                        verbose_name="practice",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="author_organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="participant",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="sharedinbox",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shared_inboxes",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="sharedinbox",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shared_inboxes",
                        to="accounts.team",
                        verbose_name="team",
                    ),
                ),
            ],
        ),
    ]
