"""The load balancer's health check: 200 only when every dependency answers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from regiozorg import views

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_is_ok_when_database_and_channel_layer_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["vendor"] in ("sqlite", "postgresql")
    assert body["checks"]["channel_layer"]["ok"] is True
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_login_and_no_second_factor(client, gp):
    # A logged-in user with patient data access is not sent to set up anything.
    client.force_login(gp)
    assert client.get(reverse("healthz")).status_code == 200


def test_healthz_checks_redis_when_it_is_configured(client):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set (SQLite/in-memory run)")
    body = client.get(reverse("healthz")).json()
    assert body["checks"]["redis"] == {"ok": True}
    # The round trip went through the configured Redis layer, not an in-memory one.
    configured = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[1]
    assert configured in {"RedisPubSubChannelLayer", "RedisChannelLayer"}
    assert body["checks"]["channel_layer"] == {"ok": True, "backend": configured}


def test_healthz_leaves_out_redis_without_redis_url(client, settings):
    settings.REDIS_URL = None
    body = client.get(reverse("healthz")).json()
    assert "redis" not in body["checks"]
    assert body["status"] == "ok"


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    def broken():
        raise ConnectionError("database down")

    monkeypatch.setattr(views, "_check_database", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["channel_layer"]["ok"] is True  # the others are still reported


def test_healthz_is_503_when_the_channel_layer_fails(client, monkeypatch):
    def broken():
        raise TimeoutError

    monkeypatch.setattr(views, "_check_channel_layer", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["ok"] is False


def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = UNREACHABLE_REDIS
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["redis"]["ok"] is False
    assert "error" in body["checks"]["redis"]
    assert body["checks"]["database"]["ok"] is True


def test_healthz_error_does_not_leak_details(client, monkeypatch):
    def broken():
        raise RuntimeError("password=geheim host=db.internal")

    monkeypatch.setattr(views, "_check_database", broken)
    content = client.get(reverse("healthz")).content.decode()
    assert "geheim" not in content
    assert "db.internal" not in content


def test_healthz_is_get_only(client):
    assert client.post(reverse("healthz")).status_code == 405
