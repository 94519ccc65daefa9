"""Organisations, teams, memberships and partner imports move from the network app to accounts.

Only Django's idea of where the models live changes: the tables keep their names
(``network_organisation``, ``network_team``, ``network_membership``,
``network_membership_teams``, ``network_partnerimport``) and every row, so the database
operations are empty. The other apps point their foreign keys at the new home in their own
state-only migrations; ``network`` 0006 then forgets the old models.

The content types of the four models are relabelled from ``network`` to ``accounts`` in place:
their ids stay, so permissions (and the helpdesk group holding them), admin log entries and
per-object permissions keep pointing at the same models.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.validators

MOVED_MODELS = ("organisation", "team", "membership", "partnerimport")


def _relabel(apps, schema_editor, *, old_label, new_label):
    content_type_model = apps.get_model("contenttypes", "ContentType")
    content_types = content_type_model.objects.using(schema_editor.connection.alias)
    for model in MOVED_MODELS:
        current = content_types.filter(app_label=old_label, model=model).first()
        if current is None:
            continue  # a fresh database: post_migrate creates the row under the new label
        # A row under the new label can only come from a post_migrate that ran while the
        # models were already moved in code but this migration was not applied yet. It holds
        # no history of its own (nothing pointed at it before); the old row's id is what
        # permissions, groups, the admin log and object permissions refer to, so it wins.
        content_types.filter(app_label=new_label, model=model).delete()
        current.app_label = new_label
        current.save(update_fields=["app_label"])


def content_types_to_accounts(apps, schema_editor):
    _relabel(apps, schema_editor, old_label="network", new_label="accounts")


def content_types_to_network(apps, schema_editor):
    _relabel(apps, schema_editor, old_label="accounts", new_label="network")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_staffchange_helpdesk_actions"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Organisation",
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
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("gp_practice", "GP practice"),
                                    ("district_nursing", "District nursing / VVT"),
                                    ("physiotherapy", "Physiotherapy"),
                                    ("pharmacy", "Pharmacy"),
                                    ("dietetics", "Dietetics"),
                                    ("elderly_care_physician", "Elderly-care physician"),
                                    ("mental_health", "Mental health care"),
                                    ("social_domain", "Social domain"),
                                    ("care_group", "Care group"),
                                    ("other", "Other"),
                                ],
                                max_length=32,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "agb_code",
                            models.CharField(
                                blank=True,
                                max_length=8,
                                validators=[accounts.validators.AGBCodeValidator()],
                                verbose_name="AGB code",
                            ),
                        ),
                        (
                            "street",
                            models.CharField(
                                blank=True, max_length=200, verbose_name="street and number"
                            ),
                        ),
                        (
                            "postal_code",
                            models.CharField(
                                blank=True,
                                max_length=7,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        code="invalid_postal_code",
                                        message="Enter a Dutch postal code, for example 8911 AB.",
                                        regex="^[1-9][0-9]{3} ?[A-Za-z]{2}$",
                                    )
                                ],
                                verbose_name="postal code",
                            ),
                        ),
                        ("city", models.CharField(blank=True, max_length=100, verbose_name="city")),
                        (
                            "phone",
                            models.CharField(
                                blank=True,
                                max_length=20,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        code="invalid_phone",
                                        message="Enter a phone number of 10 digits, for example 06 12345678 or 058 - 123 45 67.",
                                        regex="^\\+?[0-9][0-9 \\-]{8,18}[0-9]$",
                                    )
                                ],
                                verbose_name="phone",
                            ),
                        ),
                        (
                            "email",
                            models.EmailField(
                                blank=True, max_length=254, verbose_name="e-mail address"
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "proposed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="organisations_proposed",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="proposed by",
                            ),
                        ),
                        (
                            "confirmed_at",
                            models.DateTimeField(
                                blank=True,
                                null=True,
                                verbose_name="confirmed by the helpdesk at",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "organisation",
                        "verbose_name_plural": "organisations",
                        "db_table": "network_organisation",
                        "ordering": ["name"],
                        "indexes": [
                            models.Index(fields=["kind", "name"], name="organisation_kind_name_idx")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("agb_code", ""), _negated=True),
                                fields=("agb_code",),
                                name="organisation_agb_unique",
                                violation_error_message="An organisation with this AGB code already exists.",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Team",
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
                        (
                            "organisation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="teams",
                                to="accounts.organisation",
                                verbose_name="organisation",
                            ),
                        ),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                    ],
                    options={
                        "verbose_name": "team",
                        "verbose_name_plural": "teams",
                        "db_table": "network_team",
                        "ordering": ["organisation__name", "name"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("organisation", "name"), name="team_name_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
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
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                        (
                            "organisation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="memberships",
                                to="accounts.organisation",
                                verbose_name="organisation",
                            ),
                        ),
                        (
                            "level",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("A", "Level A"),
                                    ("B", "Level B"),
                                    ("B+", "Level B+"),
                                    ("C", "Level C"),
                                    ("C+", "Level C+"),
                                    ("D", "Level D"),
                                    ("E", "Level E"),
                                ],
                                max_length=2,
                                verbose_name="level",
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                blank=True,
                                choices=[("lead", "Lead provider"), ("provider", "Provider")],
                                max_length=16,
                                verbose_name="role",
                            ),
                        ),
                        (
                            "has_patient_data_access",
                            models.BooleanField(
                                default=False, verbose_name="has access to patient data"
                            ),
                        ),
                        (
                            "acts_for",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="works under the responsibility of",
                            ),
                        ),
                        (
                            "teams",
                            models.ManyToManyField(
                                blank=True,
                                db_table="network_membership_teams",
                                related_name="memberships",
                                to="accounts.team",
                                verbose_name="teams",
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "verbose_name": "membership",
                        "verbose_name_plural": "memberships",
                        "db_table": "network_membership",
                        "ordering": ["organisation__name"],
                        "indexes": [
                            models.Index(
                                fields=["user", "is_active"], name="membership_user_active_idx"
                            ),
                            models.Index(
                                fields=["organisation", "is_active"],
                                name="membership_org_active_idx",
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "organisation"), name="membership_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="PartnerImport",
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
                        (
                            "practice",
                            models.ForeignKey(
                                limit_choices_to={"kind": "gp_practice"},
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="partner_imports",
                                to="accounts.organisation",
                                verbose_name="practice",
                            ),
                        ),
                        ("file_name", models.CharField(max_length=255, verbose_name="file")),
                        ("content", models.TextField(editable=False)),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="partner_imports",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="uploaded by",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="uploaded at"),
                        ),
                        (
                            "applied_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="imported at"),
                        ),
                        (
                            "applied_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="imported by",
                            ),
                        ),
                        (
                            "summary",
                            models.JSONField(blank=True, default=dict, verbose_name="result"),
                        ),
                    ],
                    options={
                        "verbose_name": "network partner overview",
                        "verbose_name_plural": "network partner overviews",
                        "db_table": "network_partnerimport",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.AlterField(
                    model_name="accountrequest",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="account_requests",
                        to="accounts.organisation",
                        verbose_name="practice",
                    ),
                ),
                migrations.AlterField(
                    model_name="accountrequest",
                    name="target_membership",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="level_change_requests",
                        to="accounts.membership",
                        verbose_name="colleague",
                    ),
                ),
                migrations.AlterField(
                    model_name="invitation",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invitations",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="invitation",
                    name="inviting_organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invitations_sent",
                        to="accounts.organisation",
                        verbose_name="invited from",
                    ),
                ),
                migrations.AlterField(
                    model_name="staffchange",
                    name="organisation",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="staff_changes",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_accounts, content_types_to_network),
    ]
