"""Open referrals give their receivers access through network's access grants from now on:
write one for every referral that is open today (sent or in treatment), so nobody gains or
loses access by migrating. Plain historical models only; the format of ``source`` is the one
``referrals.services`` writes."""

from django.db import migrations
from django.utils import timezone

OPEN_STATES = ("sent", "accepted")


def grants_for_open_referrals(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    AccessGrant = apps.get_model("network", "AccessGrant")
    open_already = set(
        AccessGrant.objects.filter(
            ended_at__isnull=True, source__startswith="referral:"
        ).values_list("source", flat=True)
    )
    now = timezone.now()
    grants = [
        AccessGrant(
            patient_id=row["patient_id"],
            organisation_id=row["to_organisation_id"],
            team_id=row["to_team_id"],
            reason="referral",
            source=f"referral:{row['pk']}",
            started_at=row["sent_at"] or now,
        )
        for row in Referral.objects.filter(state__in=OPEN_STATES).values(
            "pk", "patient_id", "to_organisation_id", "to_team_id", "sent_at"
        )
        if f"referral:{row['pk']}" not in open_already
    ]
    AccessGrant.objects.bulk_create(grants, batch_size=1000)


def remove_referral_grants(apps, schema_editor):
    AccessGrant = apps.get_model("network", "AccessGrant")
    AccessGrant.objects.filter(reason="referral").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0007_access_grants_and_shared_inbox_relationship"),
        ("referrals", "0003_organisations_in_accounts"),
    ]

    operations = [
        migrations.RunPython(grants_for_open_referrals, remove_referral_grants),
    ]
