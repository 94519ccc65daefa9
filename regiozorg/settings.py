"""Regiozorg settings: one module, driven by the environment.

No ``DATABASE_URL`` → SQLite; no ``REDIS_URL`` → in-memory channel layer, eager Celery and a
local-memory cache; no ``EMAIL_HOST`` → e-mail to the console. Production differs only by
environment (``DEBUG=false`` plus the variables that then become required). ``EMBEDDED=true``
(``make run``) is the product on one machine: DEBUG off as in production, but SQLite, no Redis,
127.0.0.1 only, development keys and the demo data. A bad value stops start-up with a message
naming the variable (see ``regiozorg/env.py``).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from regiozorg.env import PUSH_SERVICE_HOSTS, Env

env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.str("DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- Mode -------------------------------------------------------------------------------
# EMBEDDED: `make run` on one machine, shown to users as the product (the Dutch error pages, no
# technical 404 listing our URLs), so DEBUG is off; yet it runs with nothing else installed, so
# the keys have development defaults and the demo data is allowed. That is only safe on SQLite,
# without Redis and on the loopback address: anything else is a deployment and needs its keys.
EMBEDDED = env.bool("EMBEDDED", False)
DEBUG = env.bool("DEBUG", not EMBEDDED)
# Development defaults (keys, demo data, plain HTTP): a developer's DEBUG or the embedded mode.
LOCAL_DEFAULTS = DEBUG or EMBEDDED

if LOCAL_DEFAULTS:
    SECRET_KEY = env.str("SECRET_KEY", "embedded-development-key-not-for-production-use-0123456789")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters.")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

_LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}
if EMBEDDED and (
    env.str("DATABASE_URL", None) or env.str("REDIS_URL", None) or set(ALLOWED_HOSTS) - _LOOPBACK
):
    raise ImproperlyConfigured(
        "EMBEDDED=true is the single-machine mode (SQLite, no REDIS_URL, ALLOWED_HOSTS on "
        "127.0.0.1/localhost only), with development keys; a deployment sets DEBUG=false alone."
    )

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

# --- Applications -----------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "guardian",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "csp",
    # The ground floor: template tags for icons and avatars (core/templatetags/ui.py).
    "core",
    "accounts",
    "network",
    "files",
    "his",
    "conversations",
    "referrals",
    "careplans",
    "questionnaires",
    "meetings",
    "support",
    # The top floor: its management commands run every app's demo data and the dev tools.
    "regiozorg",
]

MIDDLEWARE = [
    "regiozorg.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their caching; every other response: no-store.
    "regiozorg.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.site.SiteAddressMiddleware",  # links in e-mails: SITE_URL, else this request's address
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.ActiveMembershipMiddleware",
    "accounts.middleware.RequireSecondFactorMiddleware",
    "network.middleware.AccessLogFailureMiddleware",
]

ROOT_URLCONF = "regiozorg.urls"
WSGI_APPLICATION = "regiozorg.wsgi.application"
ASGI_APPLICATION = "regiozorg.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "regiozorg.context_processors.site",
                "accounts.context_processors.active_membership",
                "support.context_processors.support",
            ],
        },
    },
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
CRISPY_FAIL_SILENTLY = not DEBUG

# --- Data stores ------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", None)
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(
            DATABASE_URL,
            # Persistent connections: a new PostgreSQL session costs about 6 ms of client and
            # server work (bench/RESULTS.md), more than most requests' queries. Each thread
            # keeps one (gunicorn: workers x threads; Daphne: its socket thread pool; Celery:
            # one per worker process) and checks it before reuse. Daphne's own page requests
            # each run on a new thread: regiozorg.asgi closes their connection at the end.
            conn_max_age=env.int("DB_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if _db["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (or SQLite).")
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            # The sockets' database threads, the rights watch and the import thread each have
            # a connection of their own. IMMEDIATE: a writer takes the write lock at BEGIN, so
            # two writers queue (up to ``timeout`` seconds) instead of one failing on upgrade.
            # WAL: readers go on while one writes, and a commit needs no fsync of the database.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
            # Tests: a file, not Django's default shared-cache in-memory database. There, a
            # table another connection is writing answers "database table is locked" at once
            # (SQLITE_LOCKED: the busy timeout does not apply), and a socket test's threads
            # then fail depending on timing. One file per test process (two runs side by side).
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"regiozorg-test-{os.getpid()}.db")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads (and so persistent database connections) per Daphne for the sockets' database work
# (conversations.live_process.DB_THREADS; the rights watch has one more): short queries on a
# 2-core machine gain nothing from more.
LIVE_DB_THREADS = env.int("LIVE_DB_THREADS", 4, minimum=1)

REDIS_URL = env.str("REDIS_URL", None)
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")

if REDIS_URL:
    CACHES = {
        "default": {
            # Redis; while Redis does not answer, a database table (accounts.cache), so that
            # login and its rate limits keep working.
            "BACKEND": "accounts.cache.FailoverCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "regiozorg",
            # A hanging Redis must not hang pages: fail fast, then use the database for
            # CACHE_FALLBACK_SECONDS before asking Redis again.
            "OPTIONS": {
                "socket_timeout": 1,
                "socket_connect_timeout": 1,
                "COOLDOWN": env.int("CACHE_FALLBACK_SECONDS", 30, minimum=1),
            },
        }
    }
    # "pubsub" (Redis PUB/SUB) or "core" (lists). pubsub: half the one-hop latency measured
    # here (bench/RESULTS.md), and no idle-socket drop from the core layer's 5-s read timeout.
    _LAYER = env.str("CHANNEL_LAYER", "pubsub")
    if _LAYER not in ("core", "pubsub"):
        raise ImproperlyConfigured("CHANNEL_LAYER must be 'core' or 'pubsub'")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "channels_redis.pubsub.RedisPubSubChannelLayer"
                if _LAYER == "pubsub"
                else "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNEL_PREFIX", "regiozorg")},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Access log (NEN 7513) -------------------------------------------------------------
# The hash chain is an HMAC with this key, which must never be stored in the database: whoever
# owns the database can then still edit rows but not recompute the chain (network.access_log).
# Replaced keys stay listed in ACCESS_LOG_HMAC_OLD_KEYS so older entries and seals still verify.
if LOCAL_DEFAULTS:
    ACCESS_LOG_HMAC_KEY = env.str(
        "ACCESS_LOG_HMAC_KEY", "embedded-development-access-log-key-not-for-production"
    )
else:
    ACCESS_LOG_HMAC_KEY = env.str("ACCESS_LOG_HMAC_KEY")
ACCESS_LOG_HMAC_OLD_KEYS = env.list("ACCESS_LOG_HMAC_OLD_KEYS", [])
for _name, _key in [
    ("ACCESS_LOG_HMAC_KEY", ACCESS_LOG_HMAC_KEY),
    *(("ACCESS_LOG_HMAC_OLD_KEYS", key) for key in ACCESS_LOG_HMAC_OLD_KEYS),
]:
    if len(_key) < 32 or len(set(_key)) < 5:
        raise ImproperlyConfigured(f"{_name} must be at least 32 random characters.")
# The chain's newest entry is sealed (signed) into a file here, outside the database: a separate
# volume that only the Celery worker mounts (docker-compose.yml). One file per day.
ACCESS_LOG_SEAL_DIR = Path(env.str("ACCESS_LOG_SEAL_DIR", str(DATA_DIR / "access-log-seals")))
ACCESS_LOG_SEAL_MINUTES = env.int("ACCESS_LOG_SEAL_MINUTES", 5, minimum=1)
# The security officer: receives the daily seal by e-mail (a copy out of the operators' reach).
ACCESS_LOG_SEAL_EMAIL = env.list("ACCESS_LOG_SEAL_EMAIL", [])
for _address in ACCESS_LOG_SEAL_EMAIL:
    try:
        validate_email(_address)
    except ValidationError:
        raise ImproperlyConfigured(
            f"ACCESS_LOG_SEAL_EMAIL: {_address!r} is not an e-mail address."
        ) from None

# --- Celery -----------------------------------------------------------------------------
# memory://localhost/: without a host kombu warns "No hostname was supplied" on every connection.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "regiozorg"
# Task modules that autodiscovery (each app's ``tasks``) does not find on its own.
CELERY_IMPORTS = ["conversations.tasks_notify"]
CELERY_TIMEZONE = "Europe/Amsterdam"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis that hangs must not hold a page for long: queueing a task gives up after a few
# seconds instead of waiting for ever (the write itself is already committed; a lost
# notification is logged). bench/live_redis_down.py shows the effect.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 3, "socket_connect_timeout": 3}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions_task",
        "schedule": 60 * 60,
    },
    # NEN 7513: check the access log's hash chain, against its last seal, every night; a break
    # is logged as an error.
    "verify-access-log": {
        "task": "network.tasks.access_log_verify_task",
        "schedule": 24 * 60 * 60,
    },
    # Seal the chain's newest entry outside the database every few minutes, and every morning
    # (that seal also goes to ACCESS_LOG_SEAL_EMAIL).
    "seal-access-log": {
        "task": "network.tasks.access_log_seal_task",
        "schedule": ACCESS_LOG_SEAL_MINUTES * 60,
    },
    # Questionnaires sent to patients: a reminder before the due date, once per link; links
    # that ended drop the patient's address.
    "patient-link-reminders": {
        "task": "questionnaires.tasks.patient_link_reminders_task",
        "schedule": 60 * 60,
    },
    # Web Push delivery records older than a month (accounts.services.push).
    "prune-push-deliveries": {
        "task": "accounts.tasks.push_deliveries_prune_task",
        "schedule": 86400,
    },
    "seal-access-log-daily": {
        "task": "network.tasks.access_log_seal_task",
        "schedule": crontab(hour=6, minute=0),
        "kwargs": {"daily": True},
    },
}

# --- E-mail -----------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", None)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Regiozorg <noreply@regiozorg.nl>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Text messages: a class with send(*, to, body); see core/sms.py. The console backend prints
# them; an installation names its provider's class here.
SMS_BACKEND = env.str("SMS_BACKEND", "core.sms.ConsoleSmsBackend")

# A questionnaire sent to a patient: due within this many days by default, the link working
# until this many days after the due date; a reminder this many days before it.
PATIENT_LINK_DUE_DAYS = 7
PATIENT_LINK_MAX_DUE_DAYS = 60
PATIENT_LINK_GRACE_DAYS = 3
PATIENT_LINK_REMIND_DAYS_BEFORE = 2
# The date of birth: this many wrong tries lock the link for PATIENT_LINK_LOCK_MINUTES; this
# many in total end it (the care provider sends a new one).
PATIENT_LINK_TRIES_BEFORE_LOCK = 5
PATIENT_LINK_LOCK_MINUTES = 15
PATIENT_LINK_TRIES_MAX = 10
# Confirmed once, the date of birth is asked again after this long without a step.
PATIENT_LINK_SESSION_MINUTES = 30

# Video calls (meetings): peer to peer in a mesh of at most CALL_MAX_PEERS browsers; the media
# goes through a TURN server only where a direct path fails. STUN/TURN addresses, e.g.
# "stun:turn.example.nl:3478" and "turn:turn.example.nl:3478?transport=udp,turns:…:5349";
# CALL_TURN_SECRET is coturn's static-auth-secret; each browser gets a TURN password of its own
# that works for CALL_TURN_TTL seconds. Nothing set: host candidates only (same network).
CALL_MAX_PEERS = env.int("CALL_MAX_PEERS", 6, minimum=2)
CALL_STUN_URLS = env.list("CALL_STUN_URLS", [])
CALL_TURN_URLS = env.list("CALL_TURN_URLS", [])
CALL_TURN_SECRET = env.str("CALL_TURN_SECRET", "")
CALL_TURN_TTL = env.int("CALL_TURN_TTL", 3600, minimum=60)
# A guest link works this many hours by default (at most CALL_GUEST_MAX_HOURS).
CALL_GUEST_HOURS = 24
CALL_GUEST_MAX_HOURS = 24 * 14

# --- Authentication ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Accounts are created by the helpdesk or by invitation, which proves the address.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
# Sign-up is closed, so a reset request for an unknown address sends nothing at all
# (allauth would otherwise mail "sign up with the link below").
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    # The patient's questionnaire link (questionnaires.link_views): per address.
    "patient_link": "60/m/ip",
    "patient_link_birth_date": "20/10m/ip",
}
# Sessions are tracked per user so that deactivation or a new grant of patient-data
# access can end them at once.
USERSESSIONS_TRACK_ACTIVITY = False
USERSESSIONS_ADAPTER = "accounts.adapters.UserSessionsAdapter"  # ending one closes its websockets
INVITATION_VALID_DAYS = 14
ACCOUNT_REQUEST_MAX_REMARKS = 1000
PARTNER_IMPORT_MAX_BYTES = env.int("PARTNER_IMPORT_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
# A FHIR extraction of a large practice (5,000 patients) is about 30 MB.
MESSAGE_MAX_CHARS = env.int("MESSAGE_MAX_CHARS", 10_000, minimum=100)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# A photo is decoded into memory at 4 bytes a pixel before its metadata is stripped: 25
# megapixels (a 24-MP phone photo; 6,000 x 4,000) are 100 MiB, briefly twice that while an upright
# copy is made. Bigger ones are refused from the file's header, before any decoding; one photo
# at a time is decoded per process (files.services).
ATTACHMENT_MAX_PIXELS = env.int("ATTACHMENT_MAX_PIXELS", 25_000_000, minimum=1_000_000)
# At most one e-mail per conversation per this many minutes to the same person.
NOTIFY_INTERVAL_MINUTES = env.int("NOTIFY_INTERVAL_MINUTES", 30, minimum=1)
# New messages are checked for e-mail once per conversation, this long after the first of a burst.
NOTIFY_DELAY_SECONDS = env.int("NOTIFY_DELAY_SECONDS", 60, minimum=0)
EXTRACTION_MAX_BYTES = env.int("EXTRACTION_MAX_BYTES", 64 * 1024 * 1024, minimum=1024)
# Every FHIR resource Regiozorg sends carries a business identifier in this installation's own
# naming system (the value is a UUID kept on the object), so a receiver that hears from several
# regions' installations keeps their referrals apart and a second step updates the same record.
# One per installation: an OID (urn:oid:2.16.528.…) or an https URI the care group owns. No
# default in production: two regions that shared one would update each other's referrals.
FHIR_IDENTIFIER_SYSTEM = (
    env.str("FHIR_IDENTIFIER_SYSTEM", "https://regiozorg.example/fhir/NamingSystem/ontwikkeling")
    if LOCAL_DEFAULTS
    else env.str("FHIR_IDENTIFIER_SYSTEM")
)
if not re.fullmatch(r"urn:oid:[0-2](\.(0|[1-9]\d*))+|https://[^\s|]+", FHIR_IDENTIFIER_SYSTEM):
    raise ImproperlyConfigured(
        "FHIR_IDENTIFIER_SYSTEM must be an OID (urn:oid:2.16.528.…) or an https:// URI."
    )
# With eager Celery (no REDIS_URL) an import would run inside the upload request, and the
# uploader would wait without seeing the progress bar move: run it in a thread of its own then.
EXTRACTION_IMPORT_IN_THREAD = env.bool("EXTRACTION_IMPORT_IN_THREAD", CELERY_TASK_ALWAYS_EAGER)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Regiozorg"
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = LOCAL_DEFAULTS

# Guardian: we never grant permissions to anonymous users, so no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# --- Sessions ---------------------------------------------------------------------------
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1) * 60
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME_HOURS", 12, minimum=1) * 3600
# A secure session (beveiligde sessie): second factor used within this many seconds.
SECURE_SESSION_TIMEOUT = env.int("SECURE_SESSION_MINUTES", 120, minimum=1) * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "regiozorg_session"
CSRF_COOKIE_NAME = "regiozorg_csrftoken"
LANGUAGE_COOKIE_NAME = "regiozorg_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Security headers -------------------------------------------------------------------
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not LOCAL_DEFAULTS:  # the embedded mode serves plain HTTP on 127.0.0.1
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address for rate limits, sessions and the access log (accounts.client_ip).
# Behind our reverse proxy every request comes from the proxy; the client is then named by a
# header the proxy *overwrites* (TRUSTED_CLIENT_IP_HEADER, e.g. X-Real-IP, deploy/nginx.conf)
# or by the Nth entry from the right of X-Forwarded-For that N proxies of ours append to
# (TRUSTED_PROXY_COUNT). Neither set: X-Forwarded-For is ignored, the peer address counts.
TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", None)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, minimum=0)
if TRUSTED_CLIENT_IP_HEADER and TRUSTED_PROXY_COUNT:
    raise ImproperlyConfigured("Set TRUSTED_CLIENT_IP_HEADER or TRUSTED_PROXY_COUNT, not both.")
if TRUSTED_CLIENT_IP_HEADER and not all(
    c.isascii() and (c.isalnum() or c == "-") for c in TRUSTED_CLIENT_IP_HEADER
):
    raise ImproperlyConfigured(
        f"TRUSTED_CLIENT_IP_HEADER={TRUSTED_CLIENT_IP_HEADER!r} is not a header name."
    )
# allauth asks accounts.adapters.AccountAdapter.get_client_ip (the function above); its own
# settings say the same in case a code path of allauth reads them directly.
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Strict CSP: only our own origin, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
# Dates and numbers the Dutch way (06-12-2026, 7,5 mmol/l) from one place: regiozorg/formats/.
FORMAT_MODULE_PATH = ["regiozorg.formats"]

# --- Static and media files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
# Attachments: never under a URL; served only by a permission-checked view. With several web
# hosts, PRIVATE_FILES_DIR must be a shared volume (docker-compose mounts one).
PRIVATE_FILES_DIR = Path(env.str("PRIVATE_FILES_DIR", str(DATA_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_FILES_DIR, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
}
if EMBEDDED:
    # One terminal for a person trying the product: no line per eagerly run task or per start-up
    # step of Daphne (`manage.py serve` says where to open it); warnings and errors still show.
    LOGGING["loggers"] = {
        name: {"level": "WARNING"} for name in ("celery.app.trace", "daphne.server", "daphne.cli")
    }

# --- Regiozorg -------------------------------------------------------------------------
# Absolute address of the site for links in e-mails (core.site.site_url). Production: this, by
# default https://<first ALLOWED_HOSTS entry>, never a request's Host. Locally unset (""): the
# address the request came to, so a link works on whatever port the site runs (`make run` sets
# it from PORT, for e-mails sent without a request).
SITE_URL = env.str("SITE_URL", "" if LOCAL_DEFAULTS else f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} is not an http(s) address.")
SUPPORT_PHONE = env.str("SUPPORT_PHONE", "058 - 123 45 67")
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", "helpdesk@ketenzorgfriesland.nl")
SUPPORT_ORGANISATION = env.str("SUPPORT_ORGANISATION", "Ketenzorg Friesland")
# Web Push (accounts.services.push; README "Web Push"): the VAPID key pair that
# `manage.py vapid_keys` prints, or none (push off); endpoints only on known push services.
WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_PUBLIC_KEY = env.vapid_keys()
WEBPUSH_SUBJECT = env.push_subject("WEBPUSH_SUBJECT", f"mailto:{SUPPORT_EMAIL}")
WEBPUSH_TTL = env.int("WEBPUSH_TTL", 24 * 60 * 60, minimum=0)  # kept this long for a device
WEBPUSH_ALLOWED_HOSTS = env.list("WEBPUSH_ALLOWED_HOSTS", PUSH_SERVICE_HOSTS)
WEBPUSH_ALLOW_LOOPBACK_HTTP = DEBUG  # http://127.0.0.1 endpoints: development and tests
# Demo data is for development and the embedded mode only; production refuses it.
DEMO_DATA_ALLOWED = LOCAL_DEFAULTS
DEMO_ACCOUNTS_REQUIRE_MFA = env.bool("DEMO_ACCOUNTS_REQUIRE_MFA", not LOCAL_DEFAULTS)
