"""The installable web app's shell (regiozorg/pwa.py): manifest, service worker, offline page.

The browser side (installable, registered, offline page, what the worker keeps, work typed
offline): tests/browser/test_pwa_journeys.py.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_serves_a_dutch_manifest_with_icons(client):
    response = client.get(reverse("pwa-manifest"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert response["Cache-Control"] == "no-cache"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Regiozorg"
    assert manifest["lang"] == "nl"
    assert manifest["description"] == "Veilig samenwerken rond de patiënt, voor zorgverleners."
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    assert manifest["theme_color"] == "#0a3d62"
    assert {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]} == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    }
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/icons/")


def test_the_service_worker_precaches_only_static_files_and_the_offline_page(client):
    response = client.get(reverse("pwa-service-worker"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    first_line, code = response.content.decode().split("\n", 1)
    config = json.loads(first_line.removeprefix("self.REGIOZORG = ").removesuffix(";"))
    assert config["cache"].startswith("regiozorg-shell-")
    assert config["offline"] == "/offline/"
    assert [url for url in config["shell"] if not url.startswith("/static/")] == ["/offline/"]
    assert 'addEventListener("push"' in code


def test_the_cache_name_changes_with_the_worker(client, settings, tmp_path):
    before = client.get(reverse("pwa-service-worker")).content.decode().split("\n", 1)[0]
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "sw.js").write_text("// another worker\n")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    after = client.get(reverse("pwa-service-worker")).content.decode().split("\n", 1)[0]

    assert before != after


def test_the_offline_page_names_no_user_and_may_be_kept(client, gp):
    """Also for a signed-in user: no redirect, no name, nothing of the session."""
    client.force_login(gp)
    response = client.get(reverse("pwa-offline"))

    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    page = response.content.decode()
    assert "Geen verbinding" in page
    assert gp.email not in page and gp.last_name not in page
    assert "csrfmiddlewaretoken" not in page


@pytest.mark.parametrize("name", ["pwa-manifest", "pwa-service-worker", "pwa-offline"])
def test_the_shell_answers_a_signed_in_user(client, gp, name):
    client.force_login(gp)
    assert client.get(reverse(name)).status_code == 200


def test_an_error_in_the_shell_is_still_no_store(client):
    response = client.post(reverse("pwa-offline"))

    assert response.status_code == 405
    assert "no-store" in response["Cache-Control"]


def test_every_page_links_the_manifest_and_registers_the_worker(client):
    page = client.get(reverse("account_login")).content.decode()

    assert f'rel="manifest" href="{reverse("pwa-manifest")}"' in page
    assert f'data-worker="{reverse("pwa-service-worker")}"' in page
    assert 'rel="apple-touch-icon"' in page


@pytest.mark.parametrize("debug", [False, True])
def test_static_files_come_from_the_network_first_only_while_developing(client, settings, debug):
    """In production a changed static file has a new (hashed) name; while developing it has not."""
    settings.DEBUG = debug
    first_line = client.get(reverse("pwa-service-worker")).content.decode().split("\n", 1)[0]
    config = json.loads(first_line.removeprefix("self.REGIOZORG = ").removesuffix(";"))

    assert config["staticFromNetwork"] is debug
