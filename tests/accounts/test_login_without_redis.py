"""Logging in while Redis is down: the default cache (rate limits, used TOTP codes, presence)
falls back to a database table (``accounts.cache``), so login works and its limits hold.

Each test starts a Redis of its own on a free port and stops it halfway.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import totp_code
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


class OwnRedis:
    def __init__(self, tmp_path: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path, settings):
    """A Redis of this test as the default cache and the channel layer, configured as
    ``regiozorg/settings.py`` configures them with ``REDIS_URL``."""
    server = OwnRedis(tmp_path)
    settings.CACHES = {
        "default": {
            "BACKEND": "accounts.cache.FailoverCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "regiozorg",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1, "COOLDOWN": 30},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [server.url], "prefix": "rz-login-test"},
        }
    }
    yield server
    server.stop()


def fallback_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_cache_fallback")
        return cursor.fetchone()[0]


def log_in(client: Client, user, secret: str):
    """The real allauth flow: password, then the TOTP code; returns both answers."""
    password = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    code = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    return password, code


def test_login_works_while_redis_is_down(own_redis, gp, nurse, totp_secret, caplog):
    first, code = log_in(Client(), nurse, totp_secret[nurse.pk])
    assert (first.status_code, first["Location"]) == (302, reverse("mfa_authenticate"))
    assert code.status_code == 302
    assert fallback_rows() == 0  # Redis answered: nothing went to the database

    own_redis.stop()
    client = Client()
    password, code = log_in(client, gp, totp_secret[gp.pk])

    assert password.status_code == 302, password.content.decode()[:500]
    assert password["Location"] == reverse("mfa_authenticate")
    assert code.status_code == 302, code.content.decode()[:500]
    assert code["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Gerrit" in home.content.decode()
    assert fallback_rows() > 0  # rate limits and the used TOTP code, in the database now
    assert "Redis cache unavailable" in caplog.text


def test_rate_limits_still_hold_while_redis_is_down(own_redis, assistant):
    own_redis.stop()
    client = Client(REMOTE_ADDR="203.0.113.66")
    for number in range(10):
        answer = client.post(
            reverse("account_login"),
            {"login": f"gokker{number}@example.nl", "password": "Verkeerd-wachtwoord-1"},
        )
        assert answer.status_code == 200
    refused = client.post(
        reverse("account_login"), {"login": assistant.email, "password": PASSWORD}
    )

    assert refused.status_code == 200
    assert "Te veel inlogpogingen" in refused.content.decode()
    # Someone else, from another address, still logs in.
    other = Client(REMOTE_ADDR="198.51.100.7").post(
        reverse("account_login"), {"login": assistant.email, "password": PASSWORD}
    )
    assert (other.status_code, other["Location"]) == (302, reverse("home"))


def test_while_redis_is_away_the_cache_asks_it_once_per_cooldown(own_redis, caplog):
    own_redis.stop()
    started = time.monotonic()
    for number in range(20):
        cache.set(f"k{number}", number)
        assert cache.get(f"k{number}") == number
    assert time.monotonic() - started < 5
    assert caplog.text.count("Redis cache unavailable") == 1


def test_with_redis_url_the_default_cache_falls_back():
    """The production configuration uses the failover cache, not a plain RedisCache."""
    env = {
        **os.environ,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DJANGO_SETTINGS_MODULE": "regiozorg.settings",
    }
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.CACHES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)
    assert default["BACKEND"] == "accounts.cache.FailoverCache"
    assert default["LOCATION"] == "redis://127.0.0.1:6379/0"
