"""The installable web app: its manifest, its service worker and the page it shows offline.

These three answers carry no patient data and nothing of the user (the offline page uses its own
minimal template, not ``base.html`` with its user menu), so ``NoStoreMiddleware`` leaves their
own ``Cache-Control`` alone: the service worker must be able to keep the offline page, and the
browser checks the worker script for updates (``no-cache``). Everything else stays ``no-store``.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOR = "#0a3d62"  # the brand blue of the favicon and the header (--rz-brand)
BACKGROUND_COLOR = "#ffffff"
# The static shell the worker keeps: what base.html loads on every page, and the icons. Pages
# (and everything else that is not under /static/) are never kept, except the offline page.
SHELL_STATIC = (
    "vendor/bootstrap-5.3.9/css/bootstrap.min.css",
    "css/regiozorg.css",
    "css/layout.css",
    "css/conversations.css",
    "favicon.svg",
    "js/early.js",
    "vendor/htmx-2.0.11/htmx.min.js",
    "js/regiozorg.js",
    "js/live.js",
    "js/pwa.js",
    "js/offline-queue.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
)
NO_CACHE = "no-cache"  # may be kept, but asked again every time: no patient data in these


def _no_cache(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_CACHE
    return response


@require_GET
def manifest(request):
    data = {
        "name": "Regiozorg",
        "short_name": "Regiozorg",
        "description": _("Secure collaboration around the patient, for care providers."),
        "lang": get_language() or "nl",
        "dir": "ltr",
        "id": reverse("home"),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    return _no_cache(response)


def shell_urls() -> list[str]:
    """What the worker keeps at install: the static shell (with the hashed names of the
    production storage) and the offline page."""
    return [*(static(path) for path in SHELL_STATIC), reverse("pwa-offline")]


@require_GET
def service_worker(request):
    """``static/js/sw.js`` at the root (its scope is the whole site), preceded by the list it
    pre-caches. The cache name holds a hash of both: a new static file or a new worker gives a
    new cache, and the old one is removed when the new worker takes over."""
    path = finders.find("js/sw.js")
    with open(path, encoding="utf-8") as source:
        code = source.read()
    shell = shell_urls()
    version = hashlib.sha256((json.dumps(shell) + code).encode()).hexdigest()[:12]
    config = {
        "cache": f"regiozorg-shell-{version}",
        "shell": shell,
        "offline": shell[-1],
        # While developing, static files keep their names when they change: ask the network
        # first (the kept copy only without one). In production their names carry a hash.
        "staticFromNetwork": settings.DEBUG,
    }
    body = f"self.REGIOZORG = {json.dumps(config)};\n{code}"
    return _no_cache(HttpResponse(body, content_type="text/javascript; charset=utf-8"))


@require_GET
def offline(request):
    """What the worker shows when a page cannot be reached: no user, no patient, no session."""
    return _no_cache(render(request, "pwa/offline.html"))
