"""Organisations, teams, memberships and partner imports have moved to accounts (accounts 0006).

Network's own foreign keys point at the new home. The tables stay as they are (accounts uses
them under their old names), so nothing happens in the database. The old models leave network's
state in ``regiozorg/0001``, once every app has repointed its foreign keys: a model cannot leave
the state while another still points at it, and network may not depend on the apps above it.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_organisations_from_network"),
        ("network", "0005_access_log_key_id_and_no_truncate"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="accesslogentry",
                    name="organisation",
                    field=models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="acting organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="patient",
                    name="practice",
                    field=models.ForeignKey(
                        limit_choices_to={"kind": "gp_practice"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="patients",
                        to="accounts.organisation",
                        verbose_name="practice",
                    ),
                ),
                migrations.AlterField(
                    model_name="extraction",
                    name="practice",
                    field=models.ForeignKey(
                        limit_choices_to={"kind": "gp_practice"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="extractions",
                        to="accounts.organisation",
                        verbose_name="practice",
                    ),
                ),
                migrations.AlterField(
                    model_name="carenetworkmember",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
        ),
    ]
