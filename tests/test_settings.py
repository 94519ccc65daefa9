"""Settings come from the environment and fail loudly on a bad value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from regiozorg.env import Env

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "r0duct10n-k3y-w1th-3n0ugh-ch4r4ct3rs-xyz",
    "ALLOWED_HOSTS": "regiozorg.example.nl",
    "ACCESS_LOG_HMAC_KEY": "4cc3ss-l0g-hm4c-k3y-0f-m0r3-th4n-32-ch4r4ct3rs",
    "FHIR_IDENTIFIER_SYSTEM": "urn:oid:2.16.528.1.1007.3.3.1234567.1",
}
PRODUCTION_WITHOUT_LOG_KEY = {k: v for k, v in PRODUCTION.items() if k != "ACCESS_LOG_HMAC_KEY"}
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({k: getattr(settings, k, None) for k in %r}, default=str))"
)


def load_settings(env: dict, *names: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly ``env`` on top of a clean base."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    base["DJANGO_SETTINGS_MODULE"] = "regiozorg.settings"
    base["DATA_DIR"] = os.environ.get("DATA_DIR", str(ROOT / "var"))
    return subprocess.run(
        [sys.executable, "-c", PROBE % (list(names),)],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_values(env: dict, *names: str) -> dict:
    result = load_settings(env, *names)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "flase"}, "DEBUG"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "x.nl"}, "SECRET_KEY"),
        ({**PRODUCTION, "SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({**PRODUCTION, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        # The access log's chain key never has a default in production.
        (PRODUCTION_WITHOUT_LOG_KEY, "ACCESS_LOG_HMAC_KEY"),
        ({**PRODUCTION, "ACCESS_LOG_HMAC_KEY": "short"}, "ACCESS_LOG_HMAC_KEY"),
        ({**PRODUCTION, "ACCESS_LOG_HMAC_KEY": "a" * 40}, "ACCESS_LOG_HMAC_KEY"),
        ({"SESSION_IDLE_TIMEOUT_MINUTES": "half an hour"}, "SESSION_IDLE_TIMEOUT_MINUTES"),
        ({"SESSION_ABSOLUTE_LIFETIME_HOURS": "0"}, "SESSION_ABSOLUTE_LIFETIME_HOURS"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        # Each installation's FHIR identifiers: an OID or an https URI, nothing vaguer.
        ({"FHIR_IDENTIFIER_SYSTEM": "regiozorg-friesland"}, "FHIR_IDENTIFIER_SYSTEM"),
        # ... and no default in production: regions sharing one would mix their referrals.
        (
            {k: v for k, v in PRODUCTION.items() if k != "FHIR_IDENTIFIER_SYSTEM"},
            "FHIR_IDENTIFIER_SYSTEM",
        ),
        ({"FHIR_IDENTIFIER_SYSTEM": "urn:oid:2.16.abc"}, "FHIR_IDENTIFIER_SYSTEM"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"),
        # The embedded mode's development keys are for one machine only, never a deployment.
        ({"EMBEDDED": "true", "DATABASE_URL": "postgres://u@db.internal/rz"}, "EMBEDDED"),
        ({"EMBEDDED": "true", "REDIS_URL": "redis://cache.internal:6379/0"}, "EMBEDDED"),
        ({"EMBEDDED": "true", "ALLOWED_HOSTS": "regiozorg.example.nl"}, "EMBEDDED"),
        ({"SITE_URL": "regiozorg.example.nl"}, "SITE_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0", "CHANNEL_LAYER": "fast"}, "CHANNEL_LAYER"),
    ],
)
def test_a_bad_environment_value_stops_start_up_and_names_the_variable(env, named):
    result = load_settings(env, "DEBUG")
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    assert named in last_line


def test_production_mode_turns_on_secure_cookies_hsts_and_ssl_redirect():
    values = settings_values(
        PRODUCTION,
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_REFERRER_POLICY",
        "ALLOWED_HOSTS",
        "DEMO_DATA_ALLOWED",
    )
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_REFERRER_POLICY": "same-origin",
        "ALLOWED_HOSTS": ["regiozorg.example.nl"],
        "DEMO_DATA_ALLOWED": False,
    }


def test_embedded_mode_runs_alone_but_shows_the_product_not_the_developer_pages():
    """`make run`: DEBUG off (Dutch 404/500 pages, static files as in production) without any
    key or address configured; plain HTTP on 127.0.0.1, and the demo data allowed."""
    values = settings_values(
        {"EMBEDDED": "true"},
        "DEBUG",
        "ALLOWED_HOSTS",
        "STORAGES",
        "SESSION_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "DEMO_DATA_ALLOWED",
        "DEMO_ACCOUNTS_REQUIRE_MFA",
        "SITE_URL",
    )
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"].endswith(
        "CompressedManifestStaticFilesStorage"
    )
    assert (values["SESSION_COOKIE_SECURE"], values["SECURE_SSL_REDIRECT"]) == (False, False)
    assert (values["DEMO_DATA_ALLOWED"], values["DEMO_ACCOUNTS_REQUIRE_MFA"]) == (True, False)
    assert values["SITE_URL"] == ""  # e-mailed links: the address the request came to


def test_production_links_e_mails_to_its_own_host_not_to_a_request_host():
    assert settings_values(PRODUCTION, "SITE_URL") == {"SITE_URL": "https://regiozorg.example.nl"}


def test_embedded_default_uses_sqlite_memory_channels_eager_celery_and_console_mail():
    values = settings_values(
        {},
        "DATABASES",
        "CHANNEL_LAYERS",
        "CELERY_TASK_ALWAYS_EAGER",
        "EMAIL_BACKEND",
        "LANGUAGE_CODE",
        "TIME_ZONE",
    )
    assert "sqlite3" in values["DATABASES"]["default"]["ENGINE"]
    assert values["CHANNEL_LAYERS"]["default"]["BACKEND"].endswith("InMemoryChannelLayer")
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert values["LANGUAGE_CODE"] == "nl"
    assert values["TIME_ZONE"] == "Europe/Amsterdam"


def test_database_and_redis_urls_switch_to_postgresql_redis_and_a_real_worker():
    values = settings_values(
        {
            "DATABASE_URL": "postgres://regiozorg:geheim@db.internal:5432/regiozorg",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "EMAIL_HOST": "smtp.internal",
        },
        "DATABASES",
        "CHANNEL_LAYERS",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "EMAIL_BACKEND",
    )
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"]) == ("db.internal", "regiozorg")
    assert (
        values["CHANNEL_LAYERS"]["default"]["BACKEND"]
        == "channels_redis.pubsub.RedisPubSubChannelLayer"
    )
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CELERY_BROKER_URL"] == "redis://cache.internal:6379/0"
    assert values["EMAIL_BACKEND"].endswith("smtp.EmailBackend")


def test_channel_layer_core_selects_the_redis_core_layer():
    values = settings_values(
        {"REDIS_URL": "redis://cache.internal:6379/0", "CHANNEL_LAYER": "core"}, "CHANNEL_LAYERS"
    )
    assert values["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"


def test_session_timeouts_are_configurable_with_safe_defaults():
    defaults = settings_values({}, "SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_LIFETIME")
    assert defaults == {"SESSION_IDLE_TIMEOUT": 30 * 60, "SESSION_ABSOLUTE_LIFETIME": 12 * 3600}
    custom = settings_values(
        {"SESSION_IDLE_TIMEOUT_MINUTES": "15", "SESSION_ABSOLUTE_LIFETIME_HOURS": "8"},
        "SESSION_IDLE_TIMEOUT",
        "SESSION_ABSOLUTE_LIFETIME",
    )
    assert custom == {"SESSION_IDLE_TIMEOUT": 15 * 60, "SESSION_ABSOLUTE_LIFETIME": 8 * 3600}


@pytest.mark.parametrize("value", ["1", "true", "Yes", "ON"])
def test_env_accepts_the_usual_spellings_of_true(value):
    assert Env({"FLAG": value}).bool("FLAG") is True


def test_env_rejects_an_unknown_boolean_instead_of_guessing():
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        Env({"FLAG": "maybe"}).bool("FLAG", False)


def test_env_treats_an_empty_value_as_unset():
    assert Env({"NAME": "  "}).str("NAME", "default") == "default"
    with pytest.raises(ImproperlyConfigured, match="NAME is required"):
        Env({"NAME": ""}).str("NAME")
