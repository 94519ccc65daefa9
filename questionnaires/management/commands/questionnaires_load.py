"""Load the shipped free instruments (PHQ-9, GAD-7, MRC, GFI) into the questionnaire library.

Safe to run again: an unchanged instrument is left alone.
"""

from django.core.management.base import BaseCommand

from questionnaires.library_services import instruments_load


class Command(BaseCommand):
    help = "Load the shipped questionnaires (FHIR JSON in questionnaires/instruments/)."

    def handle(self, *args, **options):
        for questionnaire, changed in instruments_load():
            state = "loaded" if changed else "unchanged"
            self.stdout.write(f"{questionnaire.slug} {questionnaire.version}: {state}")
