from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from network.access_log import access_log_verify


class Command(BaseCommand):
    help = (
        "Check the access log's hash chain (NEN 7513) and name the first broken entry; then "
        "check it against the last seal in ACCESS_LOG_SEAL_DIR."
    )

    def handle(self, *args, **options):
        report = access_log_verify()
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}."))
        problems = []
        if report.broken_id is not None:
            problems.append(
                f"Access log broken at entry #{report.broken_id}: {report.problem} "
                f"({report.checked} entries before it are intact)."
            )
        problems += [f"Against the seals: {problem}." for problem in report.seal_problems]
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"Access log intact: {report.checked} entries; newest #{report.head_id} "
                f"{report.head_hash}"
            )
        )
        if report.legacy:
            self.stdout.write(
                f"{report.legacy} entries from before the chain had a key (plain SHA-256), "
                "covered by the keyed entries after them."
            )
        if report.sealed is None:
            self.stdout.write(
                self.style.WARNING(
                    f"Not checked against a seal: none in {settings.ACCESS_LOG_SEAL_DIR} "
                    "(manage.py seal_access_log; Celery beat seals every few minutes)."
                )
            )
        else:
            self.stdout.write(
                f"Holds against {report.sealed.label}: #{report.sealed.head_id}, "
                f"{report.sealed.entries} entries."
            )
