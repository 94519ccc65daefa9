# The advance care plan and the health plan were built side by side, each with its own first
# migration; this joins the two leaves. It changes nothing in the database.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0001_acp"),
        ("careplans", "0001_health_plan"),
    ]

    operations = []
