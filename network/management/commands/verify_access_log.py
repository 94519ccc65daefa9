from django.core.management.base import BaseCommand, CommandError

from network.access_log import access_log_verify


class Command(BaseCommand):
    help = "Check the access log's hash chain (NEN 7513) and name the first broken entry."

    def handle(self, *args, **options):
        report = access_log_verify()
        if not report.ok:
            raise CommandError(
                f"Access log broken at entry #{report.broken_id}: {report.problem} "
                f"({report.checked} entries before it are intact)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Access log intact: {report.checked} entries; newest #{report.head_id} "
                f"{report.head_hash}"
            )
        )
