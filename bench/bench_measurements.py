"""The measurements page of one patient with 10,000 home measurements (a year of several a
day), for the GP and the district nurse: in-process (Django's test client) and over real HTTP
from a gunicorn process started as docker-compose's ``web`` service runs it, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/regiozorg_benchmeas \\
        .venv/bin/python bench/bench_measurements.py [--readings 10000] [--runs 100] \\
        [--server gunicorn|daphne|both] [--workers 3] [--threads 4] [--profile]

Set-up, with the helpers of ``bench/live/`` (``bench_live.py``): a redis-server of its own (or
``--redis-url``), the database ``test_<name of DATABASE_URL>`` on the local PostgreSQL (created,
migrated, dropped afterwards), ``collectstatic`` into a temporary DATA_DIR. Settings as in
production: ``DEBUG=false`` (manifest static files, no query log), ``DEMO_ACCOUNTS_REQUIRE_MFA``
at its production default (on), persistent connections (``DB_CONN_MAX_AGE`` 60), the proxy's
``X-Forwarded-Proto: https`` and ``X-Real-IP``; the bench process itself runs Django with the
same environment, so both passes share keys, database and Redis.

Seed (in the bench process): the readings are made with ``bulk_create`` over the last 365 days:
half blood pressures, the rest weight, saturation and heart rate; the practice set a
blood-pressure limit, and 20 alerts are open. Then ANALYZE. The GP and the nurse are ordinary
accounts with a password and a TOTP authenticator; each logs in once through allauth's real
login form and TOTP step (test client), which leaves a secure session (second-factor record)
in the database; the HTTP client sends that session's cookie.

Each page is fetched ``--runs`` times by both clients, interleaved (a test-client request, then
an HTTP request: the two see the same machine load): the test client through Django's whole
request path in this process; the HTTP client (``http.client``, one keep-alive connection per
user) from the server process. Prints p50/p95 of both, the query count and slowest query (one
extra test-client request under ``CaptureQueriesContext``), the response size, the number of
new TCP connections the HTTP client needed, and the load average; asserts nothing. Goal
(issue 17): p95 under 100 ms for the 30-day page over HTTP. ``--profile`` adds a cProfile of
the GP's 30-day page (test client) and EXPLAIN ANALYZE of its slowest query.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import http.client
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from live.machine import tree_cpu_seconds
from live.servers import (
    ROOT,
    create_database,
    environment,
    start_daphne,
    start_gunicorn,
    start_redis,
)
from procs import load, percentile, psql, stop

PASSWORD = "bench-Meetwaarden-2026!"
# What production's settings need with DEBUG off (docker-compose.yml's x-app-env), with values
# for the bench only.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-measurements-secret-key-not-for-production-0123456789-abcdef",
    "ACCESS_LOG_HMAC_KEY": "bench-measurements-access-log-key-not-for-production",
    "FHIR_IDENTIFIER_SYSTEM": "https://bench.invalid/fhir",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_PROXY_SSL_HEADER_ENABLED": "true",
    "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP",
    "DEMO_ACCOUNTS_REQUIRE_MFA": "true",
}
# What nginx and the TLS proxy in front add to every request.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Real-IP": "192.0.2.17"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--server", choices=["gunicorn", "daphne", "both"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=3, help="docker-compose's WEB_WORKERS")
    parser.add_argument("--threads", type=int, default=4, help="docker-compose's WEB_THREADS")
    parser.add_argument("--redis-url", default="", help="default: a redis-server of our own")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    # What environment() reads (bench_live's options): the pubsub layer, tasks queued.
    args.layer, args.celery, args.no_socket_timeout, args.conn_max_age = "pubsub", "queue", 0, ""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/regiozorg_benchmeas")
    database = f"test_{urlsplit(url).path.lstrip('/') or 'regiozorg_benchmeas'}"

    print(f"load {load()} at the start ({os.cpu_count()} cores)")
    tmp = Path(tempfile.mkdtemp(prefix="regiozorg-benchmeas-"))
    redis = None
    servers: list[tuple[str, subprocess.Popen, int]] = []
    try:
        if not args.redis_url:
            redis, args.redis_url = start_redis(tmp)
        env = environment(args, tmp, database) | PRODUCTION_ENV | {"CHANNEL_PREFIX": "benchmeas"}
        create_database(env, database)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        print(f"collectstatic (DEBUG off: manifest storage) in {time.perf_counter() - t0:.1f}s")
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        gp, nurse, patient = seed(args)
        if args.server in ("gunicorn", "both"):
            # docker-compose.yml's web service: gunicorn regiozorg.wsgi:application --workers
            # ${WEB_WORKERS:-3} --threads ${WEB_THREADS:-4} --access-logfile -
            # --forwarded-allow-ips '*'
            process, port = start_gunicorn(
                env,
                tmp,
                args.workers,
                args.threads,
                ("--access-logfile", "-", "--forwarded-allow-ips", "*"),
            )
            servers.append((f"gunicorn {args.workers}×{args.threads}", process, port))
        if args.server in ("daphne", "both"):
            process, port, _log = start_daphne(env, tmp)
            servers.append(("daphne", process, port))
        for name, process, port in servers:
            print(f"{name}: pid {process.pid}, port {port}")
        measure(args, gp, nurse, patient, servers)
    finally:
        for _name, process, _port in servers:
            stop(process)
        stop(redis)
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"(cleaned up; database {database} dropped; load {load()})")


def seed(args):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db import connection
    from django.utils import timezone

    from accounts.levels import Level, Role
    from accounts.models import Membership, Organisation, OrganisationKind, User
    from network.models import CareNetworkMember, Patient
    from questionnaires.models import HomeMeasurement, MeasurementAlert, MeasurementThreshold

    t0 = time.perf_counter()
    rng = random.Random(7)
    practice = Organisation.objects.create(
        name="Praktijk Bench", kind=OrganisationKind.GP_PRACTICE, agb_code="01099999"
    )
    nursing = Organisation.objects.create(
        name="Thuiszorg Bench", kind=OrganisationKind.DISTRICT_NURSING
    )
    gp = User.objects.create_user(
        email="gp@meas.bench.nl", password=PASSWORD, first_name="Gea", last_name="Bench"
    )
    nurse = User.objects.create_user(
        email="nurse@meas.bench.nl", password=PASSWORD, first_name="Nynke", last_name="Bench"
    )
    for user in (gp, nurse):
        user.totp_secret = generate_totp_secret()
        TOTP.activate(user, user.totp_secret)
    Membership.objects.create(
        user=gp, organisation=practice, level=Level.A, has_patient_data_access=True
    )
    Membership.objects.create(
        user=nurse, organisation=nursing, role=Role.PROVIDER, has_patient_data_access=True
    )
    patient = Patient.objects.create(
        practice=practice,
        his_id="bench-1",
        initials="G.",
        first_name="Geertje",
        surname="Bench",
        gender="female",
        birth_date=datetime.date(1941, 3, 14),
        is_visible=True,
    )
    CareNetworkMember.objects.create(patient=patient, user=nurse, organisation=nursing)
    threshold = MeasurementThreshold.objects.create(
        patient=patient,
        kind="blood_pressure",
        high=Decimal(160),
        high2=Decimal(95),
        set_by=gp,
        organisation=practice,
    )
    now = timezone.now()
    step = datetime.timedelta(days=365) / args.readings
    kinds = ["blood_pressure"] * 10 + ["weight"] * 3 + ["spo2"] * 4 + ["heart_rate"] * 3
    rows = []
    for i in range(args.readings):
        kind = rng.choice(kinds)
        value, value2, unit = {
            "blood_pressure": (rng.randint(115, 175), rng.randint(65, 100), "mmHg"),
            "weight": (Decimal(rng.randint(650, 720)) / 10, None, "kg"),
            "spo2": (rng.randint(89, 99), None, "%"),
            "heart_rate": (rng.randint(55, 110), None, "/min"),
        }[kind]
        rows.append(
            HomeMeasurement(
                patient=patient,
                kind=kind,
                value=value,
                value2=value2,
                unit=unit,
                measured_at=now - step * i,
                entered_by=nurse,
                organisation=nursing,
                client_key=uuid.uuid4(),
            )
        )
    HomeMeasurement.objects.bulk_create(rows, batch_size=2000)
    high = HomeMeasurement.objects.filter(patient=patient, value__gt=160)[:20]
    MeasurementAlert.objects.bulk_create(
        MeasurementAlert(threshold=threshold, patient=patient, measurement=m) for m in high
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded in {time.perf_counter() - t0:.1f}s: "
        f"{HomeMeasurement.objects.count()} readings of one patient; ANALYZE"
    )
    return gp, nurse, patient


def secure_login(user):
    """allauth's real flow in the test client: the login form, then the TOTP step. Leaves a
    secure session (a second-factor record) in the database."""
    from django.test import Client
    from django.urls import reverse

    from tests.totp import totp_now

    client = Client(headers=PROXY_HEADERS)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    assert response["Location"] == reverse("mfa_authenticate"), response["Location"]
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(user.totp_secret)})
    assert response.status_code == 302, response.status_code
    return client


class HttpClient:
    """GETs over one keep-alive connection (``http.client`` reopens it if the server closed it:
    counted in ``connections``)."""

    def __init__(self, port: int, cookie: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Cookie": cookie, **PROXY_HEADERS}
        self.connections = 0
        self.statuses: dict[int, int] = {}

    def get(self, url: str) -> bytes:
        if self.connection.sock is None:
            self.connections += 1
        self.connection.request("GET", url, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status} {response.getheader('Location')}")
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return body


@dataclass
class Figures:
    label: str
    queries: int = 0
    slowest_ms: float = 0.0
    slowest_sql: str = ""
    size: int = 0
    client: list[float] = field(default_factory=list)
    client_cpu: float = 0.0  # ms of this process's CPU per request
    http: dict[str, list[float]] = field(default_factory=dict)
    http_cpu: dict[str, float] = field(default_factory=dict)  # ms of the server's CPU per request
    http_size: int = 0


def time_page(client, https: dict[str, HttpClient], pids, label: str, url: str, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = Figures(label)
    for _ in range(6):  # warm up: compiled templates, connections, PostgreSQL's buffers
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        for http_client in https.values():
            figures.http_size = len(http_client.get(url))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    figures.queries = len(queries)
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
    figures.slowest_ms, figures.slowest_sql = float(slowest["time"]) * 1000, slowest["sql"]
    figures.size = len(response.content)
    figures.http = {name: [] for name in https}
    # CPU seconds: the server processes (a gunicorn master and its workers) only work for the
    # HTTP requests; this process's CPU is counted around its own requests only.
    server_cpu = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    client_cpu = 0.0
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        client.get(url)
        figures.client.append((time.perf_counter() - t0) * 1000)
        client_cpu += time.process_time() - c0
        for name, http_client in https.items():
            t0 = time.perf_counter()
            http_client.get(url)
            figures.http[name].append((time.perf_counter() - t0) * 1000)
    figures.client_cpu = client_cpu * 1000 / runs
    figures.http_cpu = {
        name: (tree_cpu_seconds(pid) - server_cpu[name]) * 1000 / runs for name, pid in pids.items()
    }
    return figures


def measure(args, gp, nurse, patient, servers) -> None:
    from django.conf import settings
    from django.urls import reverse

    page = reverse("measurements:page", args=[patient.pk])
    pages = [
        ("measurements, 30 days (default)", page),
        ("measurements, 365 days (weekly)", f"{page}?dagen=365"),
        ("new measurement (form)", reverse("measurements:enter", args=[patient.pk])),
        # For comparison, on the same machine at the same moment: the patient's overview.
        ("patient overview (baseline)", reverse("network:patient-detail", args=[patient.pk])),
    ]
    logged_in = [(label, secure_login(user)) for user, label in ((gp, "GP"), (nurse, "nurse"))]
    # The seeding's objects are garbage now; collect them once and freeze what is left.
    gc.collect()
    gc.freeze()
    table = []
    for label, client in logged_in:
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        https = {name: HttpClient(port, cookie) for name, _process, port in servers}
        pids = {name: process.pid for name, process, _port in servers}
        print(f"{label} (load {load()}):")
        for page_label, url in pages:
            f = time_page(client, https, pids, page_label, url, args.runs)
            line = (
                f"  {page_label:32s} q={f.queries:2d} {f.size / 1024:5.1f} kB | test client "
                f"p50 {percentile(f.client, 50):6.1f} p95 {percentile(f.client, 95):6.1f} "
                f"cpu {f.client_cpu:5.1f}"
            )
            for name, timings in f.http.items():
                line += (
                    f" | {name.split()[0]} p50 {percentile(timings, 50):6.1f} "
                    f"p95 {percentile(timings, 95):6.1f} cpu {f.http_cpu[name]:5.1f}"
                )
            print(f"{line} ms  (slowest query {f.slowest_ms:.1f} ms)", flush=True)
            table.append((label, f))
        for name, http_client in https.items():
            print(
                f"  {name}: {sum(http_client.statuses.values())} requests over "
                f"{http_client.connections} connection(s), statuses {http_client.statuses}"
            )
            http_client.connection.close()
    print(f"load {load()} after the runs")
    print_table(table, [name for name, _p, _port in servers], args.runs)
    if args.profile:
        profile(logged_in[0][1], page)


def print_table(table, names, runs) -> None:
    """Markdown for bench/RESULTS.md; cpu: CPU ms per request of the process that served it."""
    print(f"\n| page ({runs} requests each) | queries | size |", end="")
    print(" test client p50 | p95 | cpu |" + "".join(f" {n} p50 | p95 | cpu |" for n in names))
    print("|---|---|---|---|---|---|" + "---|---|---|" * len(names))
    for label, f in table:
        row = (
            f"| {label}: {f.label} | {f.queries} | {f.http_size / 1024:.0f} kB | "
            f"{percentile(f.client, 50):.1f} ms | {percentile(f.client, 95):.1f} ms | "
            f"{f.client_cpu:.0f} ms |"
        )
        for name in names:
            row += (
                f" {percentile(f.http[name], 50):.1f} ms | {percentile(f.http[name], 95):.1f} ms"
                f" | {f.http_cpu[name]:.0f} ms |"
            )
        print(row)


def profile(client, page) -> None:
    """Where the GP's 30-day page spends its time (in-process), and the plan of its slowest
    query."""
    import cProfile
    import pstats

    from bench_inbox import explain
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        client.get(page)
    profiler.disable()
    print("\ncProfile, 20 requests of the GP's 30-day page (test client):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    with CaptureQueriesContext(connection) as queries:
        client.get(page)
    for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]:
        print(f"{float(q['time']) * 1000:6.1f} ms  {q['sql'][:160]}")
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
    total, plan = explain(connection, slowest["sql"])
    print(f"\nEXPLAIN ANALYZE of the slowest ({total:.1f} ms):\n{plan}")


if __name__ == "__main__":
    main()
