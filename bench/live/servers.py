"""Set-up for bench_live.py: its own Redis, database, Daphne (and gunicorn), with the
environment they run in."""

# ruff: noqa: S603  (a bench: it starts redis-server, psql, Daphne and itself)
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from procs import free_port, psql, wait_for_port

ROOT = Path(__file__).resolve().parent.parent.parent
# The script itself: the seed and sender processes are bench_live.py with --role.
SCRIPT = ROOT / "bench" / "bench_live.py"
DB_NAME = "regiozorg_benchlive"
PG = "postgres://postgres@127.0.0.1:5432"


BENCH_SETTINGS = """from regiozorg.settings import *  # noqa: F403

# redis-py 8 reads with a 5-s socket timeout by default; the core layer blocks 5 s in BZPOPMIN.
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [  # noqa: F405
    {"address": REDIS_URL, "socket_timeout": None}  # noqa: F405
]
"""


def environment(args, tmp: Path, database: str = DB_NAME) -> dict[str, str]:
    settings_module = "regiozorg.settings"
    if args.no_socket_timeout:
        (tmp / "bench_live_settings.py").write_text(BENCH_SETTINGS)
        settings_module = "bench_live_settings"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": args.redis_url,
        "CHANNEL_LAYER": args.layer,
        # "queue" as in production: tasks go to Redis for a worker (none runs here, so the
        # notification mails wait in the queue); "eager" runs them inside the send.
        "CELERY_TASK_ALWAYS_EAGER": "true" if args.celery == "eager" else "false",
        "DATA_DIR": str(tmp),
        "PYTHONPATH": f"{ROOT}:{tmp}",
    } | ({"DB_CONN_MAX_AGE": args.conn_max_age} if args.conn_max_age else {})


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""),
            *("--appendonly", "no", "--dir", str(tmp), "--maxclients", "10000"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    return process, f"redis://127.0.0.1:{port}/0"


def create_database(env: dict[str, str], database: str = DB_NAME) -> None:
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    print(f"database {database} created and migrated in {time.perf_counter() - t0:.1f}s")


def start_daphne(env: dict[str, str], tmp: Path) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = tmp / "daphne.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
            "regiozorg.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process, port, log


def start_gunicorn(env: dict[str, str], tmp: Path, workers: int, threads: int, extra=()):
    """Pages and form posts through a WSGI server, websockets through Daphne; ``extra``: more
    gunicorn options (docker-compose's ``--access-logfile -`` …)."""
    port = free_port()
    log = tmp / "gunicorn.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}"),
            *("-w", str(workers), "--threads", str(threads), *extra),
            "regiozorg.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process, port
