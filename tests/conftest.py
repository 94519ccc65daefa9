"""Actors and shared fixtures.

Named actors, as in the style guide: ``gp`` (level A of practice De Linde, patient-data access,
TOTP), ``assistant`` (level E, same practice, no patient data), ``manager`` (level B+),
``nurse`` (district nurse, lead provider, patient data, TOTP), ``physio`` (provider),
``outsider`` (level A of another practice, who must never see the first practice's things) and
``helpdesk`` (staff in the helpdesk group, TOTP). ``totp_secret`` holds their secrets.
"""

from __future__ import annotations

import datetime
import importlib
import time

import pyotp
import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from accounts.helpdesk import HELPDESK_GROUP
from accounts.levels import Level, Role
from accounts.models import OrganisationKind
from tests.factories import (
    PASSWORD,
    CareNetworkMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    PatientFactory,
    TeamFactory,
    UserFactory,
    totp_enable,
)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EXTRACTION_IMPORT_IN_THREAD = False  # imports run in the test, synchronously
    settings.DEMO_ACCOUNTS_REQUIRE_MFA = False
    # Rate-limit counters live in the cache (Redis in CI): start every test clean.
    cache.clear()
    from regiozorg.celery import app

    app.conf.task_always_eager = True
    yield
    cache.clear()


def seed_matrix_defaults() -> None:
    """Put back the authorisation matrix's default rows. They come from a data migration, which
    the flush after an earlier transactional test removes, and a partner's tabs (measurements,
    …) depend on them. get_or_create: a no-op when they are there."""
    importlib.import_module(
        "network.migrations.0004_matrix_defaults_and_append_only_log"
    ).seed_matrix(apps, None)


@pytest.fixture(autouse=True)
def _matrix_defaults_in_transactional_tests(request):
    """A transactional test (a real commit: websockets, the live server) starts with the matrix
    the migrations give every other test, whatever an earlier one flushed."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        seed_matrix_defaults()


@pytest.fixture(autouse=True)
def _socket_connections_closed():
    """The sockets' database threads keep their connections (as in a Daphne): close them after
    each test, so the next one counts its own and the test database can be dropped."""
    yield
    from conversations.live_process import DB_THREADS, db_threads_close

    if DB_THREADS._threads:  # only when a test used a socket
        db_threads_close()


@pytest.fixture(autouse=True)
def _access_log_seals_per_test(settings, tmp_path):
    """Seals belong to one database: each test starts without any (never the developer's)."""
    settings.ACCESS_LOG_SEAL_DIR = tmp_path / "access-log-seals"


def pytest_configure(config):
    _flush_lifts_the_truncate_guard()


def _flush_lifts_the_truncate_guard():
    """Transactional tests end with a flush, a TRUNCATE of every table, which the access log's
    trigger (migration 0005) refuses. The test database is the one place where emptying the log
    is wanted: the flush lifts the trigger for its own transaction only."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    if getattr(original, "lifts_truncate_guard", False):
        return

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if "network_accesslogentry" not in tables or not statements:
            return statements
        table = "ALTER TABLE network_accesslogentry {} TRIGGER network_accesslogentry_no_truncate"
        return [table.format("DISABLE"), *statements, table.format("ENABLE")]

    sql_flush.lifts_truncate_guard = True
    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture
def totp_secret():
    return {}


@pytest.fixture
def practice(db):
    return OrganisationFactory(name="Huisartsenpraktijk De Linde", agb_code="01012345")


@pytest.fixture
def other_practice(db):
    return OrganisationFactory(name="Huisartsenpraktijk Het Anker", agb_code="01054321")


@pytest.fixture
def nursing(db):
    org = OrganisationFactory(
        name="Thuiszorg Friesland", kind=OrganisationKind.DISTRICT_NURSING, agb_code="03011111"
    )
    TeamFactory(organisation=org, name="Team Noord")
    return org


@pytest.fixture
def physio_practice(db):
    return OrganisationFactory(
        name="Fysio Centrum", kind=OrganisationKind.PHYSIOTHERAPY, agb_code="04011111"
    )


def _member(organisation, *, email, first_name, last_name, level="", role="", access=False):
    user = UserFactory(email=email, first_name=first_name, last_name=last_name)
    MembershipFactory(
        user=user,
        organisation=organisation,
        level=level,
        role=role,
        has_patient_data_access=access,
    )
    return user


@pytest.fixture
def gp(practice, totp_secret):
    user = _member(
        practice,
        email="gp@delinde.nl",
        first_name="Gerrit",
        last_name="Postma",
        level=Level.A,
        access=True,
    )
    totp_secret[user.pk] = totp_enable(user)
    return user


@pytest.fixture
def assistant(practice):
    return _member(
        practice,
        email="assistent@delinde.nl",
        first_name="Aaltje",
        last_name="Bosma",
        level=Level.E,
    )


@pytest.fixture
def manager(practice):
    return _member(
        practice,
        email="manager@delinde.nl",
        first_name="Mark",
        last_name="Smit",
        level=Level.B_PLUS,
    )


@pytest.fixture
def nurse(nursing, totp_secret):
    user = _member(
        nursing,
        email="wijk@thuiszorg.nl",
        first_name="Nynke",
        last_name="Wiersma",
        role=Role.LEAD,
        access=True,
    )
    totp_secret[user.pk] = totp_enable(user)
    return user


@pytest.fixture
def physio(physio_practice):
    return _member(
        physio_practice,
        email="fysio@fysiocentrum.nl",
        first_name="Foppe",
        last_name="Hiemstra",
        role=Role.PROVIDER,
    )


@pytest.fixture
def outsider(other_practice, totp_secret):
    user = _member(
        other_practice,
        email="gp@hetanker.nl",
        first_name="Otto",
        last_name="Buitenhuis",
        level=Level.A,
        access=True,
    )
    totp_secret[user.pk] = totp_enable(user)
    return user


@pytest.fixture
def helpdesk(db, totp_secret):
    user = UserFactory(email="helpdesk@kzf.nl", first_name="Hylke", last_name="Kuipers")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=HELPDESK_GROUP))
    totp_secret[user.pk] = totp_enable(user)
    return user


def totp_code(secret: str) -> str:
    """The current code; waits out the last moments of a 30-second period, because allauth
    accepts only the current period and a code computed just before its end arrives too late."""
    remaining = 30 - time.time() % 30
    if remaining < 1.5:
        time.sleep(remaining + 0.05)
    return pyotp.TOTP(secret).now()


@pytest.fixture
def login_with_totp(client, totp_secret):
    """Log in through the real allauth flow: password, then the TOTP code.

    Leaves a secure session (a second-factor check recorded in the session).
    """

    def _login(user, *, client=client):
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302, response.content[:500]
        assert response["Location"] == reverse("mfa_authenticate")
        response = client.post(
            reverse("mfa_authenticate"), {"code": totp_code(totp_secret[user.pk])}
        )
        assert response.status_code == 302, response.content[:500]
        return client

    _login.secrets = totp_secret
    return _login


@pytest.fixture
def patient(practice):
    """A patient of De Linde, not visible to network partners."""
    return PatientFactory(
        practice=practice,
        his_id="linde-0001",
        initials="G.",
        first_name="Geertje",
        infix="van der",
        surname="Meer",
        gender="female",
        birth_date=datetime.date(1941, 3, 14),
    )


@pytest.fixture
def shared_patient(practice, nurse):
    """A visible patient of De Linde with the district nurse in the care network."""
    shared = PatientFactory(
        practice=practice,
        his_id="linde-0002",
        initials="S.",
        first_name="Sjoerd",
        surname="Dijkstra",
        birth_date=datetime.date(1956, 8, 2),
        is_visible=True,
    )
    CareNetworkMemberFactory(
        patient=shared, user=nurse, organisation=nurse.memberships.get().organisation
    )
    return shared


@pytest.fixture
def secure_client(client, login_with_totp):
    """``secure_client(user)``: a test client logged in with a second factor (secure session).

    Users without TOTP get one first, so every actor can reach the access rule itself.
    """

    def _login(user, *, client=client):
        from allauth.mfa.utils import is_mfa_enabled

        if not is_mfa_enabled(user):
            totp_secret_store[user.pk] = totp_enable(user)
        return login_with_totp(user, client=client)

    totp_secret_store = login_with_totp.secrets
    return _login


def pytest_report_header(config):
    from tests.browser.chromium import browser_tests_status

    return f"browser tests: {browser_tests_status()}"


@pytest.fixture
def team_noord(nursing):
    from accounts.models import Team

    return Team.objects.get(organisation=nursing, name="Team Noord")


@pytest.fixture
def team_nurse(nursing, team_noord):
    user = UserFactory(email="noord@thuiszorg.nl", first_name="Hiltje", last_name="de Vries")
    membership = MembershipFactory(user=user, organisation=nursing, role=Role.PROVIDER)
    membership.teams.add(team_noord)
    return user


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """``with committing():`` runs what would run after commit (live pushes, Celery tasks,
    e-mail), as a real commit would."""

    def _committing():
        return django_capture_on_commit_callbacks(execute=True)

    return _committing


@pytest.fixture
def private_files(tmp_path, settings):
    """Attachments (conversations and referrals) go to a directory of this test only.

    The file fields take their storage from a callable, but Django calls that callable once,
    when the model class is built: overriding ``STORAGES`` (which resets the storage handler's
    cache) is not enough, each field keeps the storage it was given at import. So the settings
    are pointed at ``tmp_path`` *and* the fields' storage is swapped for the test.
    """
    from django.core.files.storage import FileSystemStorage

    from conversations.models import Attachment
    from referrals.models import ReferralAttachment
    from support.models import TicketScreenshot

    location = tmp_path / "private"
    location.mkdir()
    settings.PRIVATE_FILES_DIR = location
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }
    fields = [
        model._meta.get_field("file")
        for model in (Attachment, ReferralAttachment, TicketScreenshot)
    ]
    originals = [field.storage for field in fields]
    for field in fields:
        field.storage = FileSystemStorage(location=location, base_url=None)
    yield location
    for field, original in zip(fields, originals, strict=True):
        field.storage = original
