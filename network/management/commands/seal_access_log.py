from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from network.access_log_seals import AccessLogSealRefused, access_log_seal


class Command(BaseCommand):
    help = (
        "Seal the access log's newest entry (signed, outside the database) in "
        "ACCESS_LOG_SEAL_DIR; Celery beat does this every few minutes."
    )

    def handle(self, *args, **options):
        try:
            result = access_log_seal(force=True)
        except AccessLogSealRefused as refused:
            raise CommandError(f"Not sealed: {refused}.") from None
        seal = result.seal
        self.stdout.write(
            self.style.SUCCESS(
                f"Sealed #{seal.head_id} ({seal.entries} entries) at {seal.at} in "
                f"{settings.ACCESS_LOG_SEAL_DIR}"
            )
        )
