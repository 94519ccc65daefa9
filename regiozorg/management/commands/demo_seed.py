from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD
from network.services.extractions import extractions_resume
from regiozorg.demo import demo_seed


class Command(BaseCommand):
    help = "Load the demo region (idempotent). Refused in production mode."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("demo_seed is refused in production mode (DEBUG and EMBEDDED off).")
        if settings.EXTRACTION_IMPORT_IN_THREAD and (resumed := extractions_resume()):
            # The embedded server imports in a thread; one stopped mid-import left it unfinished.
            self.stdout.write(f"Finished {resumed} HIS extraction import(s) left unfinished.")
        counts = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready: {organisations} organisations, {users} demo users, "
                "{memberships} memberships, {patients} patients. "
                "Password for every demo account: {password}".format(
                    password=DEMO_PASSWORD, **counts
                )
            )
        )
