"""The first Dutch help article of each function; the helpdesk keeps them from then on."""

from django.db import migrations


def create_articles(apps, schema_editor):
    from support.help_texts import HELP_ARTICLES

    HelpArticle = apps.get_model("support", "HelpArticle")
    for key, (title, body) in HELP_ARTICLES.items():
        HelpArticle.objects.get_or_create(key=key, defaults={"title": title, "body": body})


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(create_articles, migrations.RunPython.noop)]
