"""No response with patient data may be kept by a browser or a proxy: ``Cache-Control: no-store``.

``regiozorg.middleware.NoStoreMiddleware`` sets it on every response that is not a static file.
The test walks the same URL table as the access walker (``tests/access_walker_table.py``) and
requests every URL of the project — as the one who may see it and as everyone who must not — so
a new page cannot forget the header. Public pages are asked anonymously too.

The one exception is the installable web app's shell (``regiozorg/pwa.py``): the manifest, the
service worker script and the offline page name no user and no patient, and the worker must be
able to keep the offline page. They answer ``no-cache`` instead, for everyone.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from regiozorg.middleware import NoStoreMiddleware
from tests.access_walker_table import ANONYMOUS, TABLE, VIEWPOINTS
from tests.test_access_walker import (  # noqa: F401 (world is a fixture)
    ALLAUTH_PAGES,
    TABLE_PATTERNS,
    world,
)
from tests.totp import wait_for_fresh_period

pytestmark = pytest.mark.django_db

# Patient data the gp may open: each must answer 200 (and not pass by being refused).
PATIENT_DATA = (
    "network:patient-detail",
    "network:patient-access-log",
    "network:patient-access-log-export",
    "referrals:fhir",
    "referrals:attachment",
    "referrals:feedback-his-download",
    "conversations:attachment",
    "conversations:his-export-download",
    "conversations:detail",
    "measurements:page",
)
# The web app's shell: no patient data, kept by the service worker (regiozorg/pwa.py).
SHELL = ("pwa-manifest", "pwa-service-worker", "pwa-offline")


def test_the_shell_paths_the_middleware_spares_are_the_shell_urls():
    assert {reverse(name) for name in SHELL} == NoStoreMiddleware.SHELL_PATHS


def test_every_url_answers_with_no_store(world, secure_client):  # noqa: F811
    clients: dict[str | None, Client] = {}

    def as_viewpoint(viewpoint: str):
        actor, target = VIEWPOINTS[viewpoint]
        if actor not in clients:
            clients[actor] = Client()
            if actor is not None:
                # One login per person: a TOTP code is valid once, and only in its period.
                wait_for_fresh_period(1.5)
                secure_client(world.users[actor], client=clients[actor])
        return clients[actor], world.aimed_at(target)

    missing, answered = [], {}
    for name in TABLE_PATTERNS:
        rule = TABLE[name]
        viewpoints = [rule.control, *rule.refused, ANONYMOUS if rule.public else None]
        for viewpoint in dict.fromkeys(viewpoints):
            if viewpoint is None:
                continue
            client, seen = as_viewpoint(viewpoint)
            url = reverse(name, kwargs=rule.kwargs(seen) if rule.kwargs else {})
            response = client.get(url)  # GET only: nothing changes, every answer counts
            answered[name, viewpoint] = response.status_code
            cache_control = response.get("Cache-Control", "")
            if name in SHELL:
                if response.status_code != 200 or "no-store" in cache_control:
                    missing.append(f"shell {url} as {viewpoint}: {response.status_code}")
            elif "no-store" not in cache_control:
                missing.append(
                    f"GET {url} as {viewpoint}: {response.status_code} {cache_control!r}"
                )
    for pattern in ALLAUTH_PAGES:
        response = Client().get(reverse(pattern.name))
        if "no-store" not in response.get("Cache-Control", ""):
            missing.append(f"GET {reverse(pattern.name)} (allauth): {response.status_code}")

    assert not missing, "\n".join(missing)
    assert {name: answered[name, "gp"] for name in PATIENT_DATA} == dict.fromkeys(PATIENT_DATA, 200)


def test_static_files_keep_their_caching(settings, client, db):
    """WhiteNoise answers static files before the middleware; pages get no-store."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    static = Client().get("/static/js/live.js")
    page = Client().get(reverse("home"))  # to the login page

    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
    assert "max-age" in static["Cache-Control"]
    assert page.status_code == 302
    assert page["Cache-Control"] == "no-store"
