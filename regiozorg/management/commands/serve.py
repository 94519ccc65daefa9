"""``make run``'s server: Daphne (pages and websockets) on one address, saying where to go.

Daphne's own command line says nothing a person trying the product needs; this prints the
address to open and, with the demo data, how to log in — once the port is listening.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD


def serve_banner(*, host: str, port: int) -> str:
    address = f"http://{host}:{port}/"
    lines = [f"Regiozorg is running: open {address} in your browser (Ctrl+C stops it)."]
    if settings.DEMO_DATA_ALLOWED:
        lines.append(
            "Log in with a demo account, e.g. huisarts@demo.regiozorg.nl; "
            f"password for every demo account: {DEMO_PASSWORD}"
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Serve pages and websockets with Daphne; print the address once it listens."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        from daphne.server import Server

        from regiozorg.asgi import application

        def ready():
            self.stdout.write(self.style.SUCCESS(serve_banner(host=host, port=port)))
            self.stdout.flush()

        Server(
            application=application,
            endpoints=[f"tcp:port={port}:interface={host}"],
            # As Daphne's command line does (the server's own default is 20 s).
            websocket_connect_timeout=5,
            websocket_handshake_timeout=5,
            ready_callable=ready,
        ).run()
