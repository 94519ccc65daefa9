"""ASGI entry point for Daphne: HTTP through Django, websockets through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regiozorg.settings")
django_asgi_app = get_asgi_application()

from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.signals import request_finished  # noqa: E402
from django.db import connections  # noqa: E402


def _close_page_connections(**kwargs):
    """A page served here runs on a thread of its own (asgiref gives every request a fresh
    one), so a persistent connection would stay behind with that thread until the garbage
    collector finds it. Close it; the websocket thread pool keeps its connections."""
    connections.close_all()


request_finished.connect(_close_page_connections, sender=ASGIHandler)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from regiozorg.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


# The garbage collector, for a process that holds hundreds of sockets (bench/RESULTS.md, issue
# 13). Everything loaded so far (Django, the apps, the URL conf, the models) lives as long as the
# process: frozen, out of the collector's sight, so that a full collection walks only what the
# sockets made since; unfrozen, a full collection walked the whole of Django, 130-180 ms with
# every socket of the process waiting. And collections less often than Python's default, a young
# one per 700 new objects and a full one after 100 young ones: under load that ran a full one
# every 1-2 s, each 15-60 ms. Here a young one per 20,000 and a full one after 2,000 young ones
# (tests/conversations/test_live_gc.py). Objects without cycles are freed at once either way.
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 100)
