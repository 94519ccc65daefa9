import os

from django.core.management.base import BaseCommand, CommandError

from network.database_role import AppRoleRefused, app_role_ensure


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL role the application connects as: read and write on "
        "every table, but only SELECT and INSERT on the access log. Run it as the owner of the "
        "tables after every migrate (docker-compose.yml's migrate service does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="name of the application's role")
        parser.add_argument(
            "--password-env",
            required=True,
            metavar="VARIABLE",
            help="environment variable that holds the role's password",
        )

    def handle(self, *args, role, password_env, **options):
        password = os.environ.get(password_env, "")
        if not password:
            raise CommandError(f"Environment variable {password_env} (the password) is empty.")
        try:
            app_role_ensure(role=role, password=password)
        except AppRoleRefused as refused:
            raise CommandError(f"Role {role} not set up: {refused}.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Role {role}: read and write, the access log SELECT and INSERT only."
            )
        )
