# Home measurements and the questionnaire library were built side by side, each with its own
# first migration; this joins the two leaves. It changes nothing in the database.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("questionnaires", "0001_library"),
        ("questionnaires", "0001_measurements"),
    ]

    operations = []
