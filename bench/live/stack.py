"""The production layout for bench_live_goals.py, from any checkout of the code: gunicorn for
pages and form posts, Daphne for websockets, a Celery worker, PostgreSQL and Redis, with
``DEBUG=false``. The same stack starts from two trees in one run (the commit before a change,
and the change), one after the other on the same machine.

CPU per process comes from /proc. PostgreSQL's share is every backend of the server, the ones
that ended included (the postmaster's ``cutime``/``cstime`` collect them), so the bench's own
database must be the only one at work while it measures. Statements are counted from the
server log with ``log_statement = 'all'`` set on the bench's database only (and only for a
counting pass: logging costs CPU of its own); connections and commits come from
``pg_stat_database``.
"""

# ruff: noqa: S603, S607, S608  (a bench: it starts servers and runs psql on its own database)
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from procs import free_port, psql, stop, wait_for_port

from live.machine import CLK_TCK, cpu_seconds, tree_cpu_seconds
from live.servers import PG

PG_DATA = Path(os.environ.get("BENCH_PG_DATA", "/var/lib/postgresql/15/main"))
PG_LOG = Path(os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
MAIN = Path(__file__).resolve().parent.parent.parent


def postgres_cpu_seconds() -> float:
    """The whole server: postmaster, its live children, and the children that ended."""
    pid = int((PG_DATA / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime (fields 14-17 of stat(5)); the children follow.
    return sum(int(f) for f in fields[11:15]) / CLK_TCK + tree_cpu_seconds(pid) - cpu_seconds(pid)


def pg_value(sql: str) -> str:
    return subprocess.run(
        ["psql", f"{PG}/postgres", "-qAtc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


class Stack:
    """One tree's servers on their own database and Redis prefix."""

    def __init__(self, name: str, tree: Path, tmp: Path, redis_url: str, redis_pid: int):
        self.name, self.tree, self.redis_pid = name, tree, redis_pid
        self.daphnes = 1  # Daphne processes; the clients are dealt out over them
        self.ping_interval = 60  # Daphne's protocol ping, as docker-compose.yml runs it
        self.db = f"regiozorg_goals_{name}"
        self.dir = tmp / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "regiozorg.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-goals-" + "k7Qx2vR9mP4sT8wZ1nB6" * 3,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "ACCESS_LOG_HMAC_KEY": "bench-goals-access-log-key-" + "a1B2c3D4e5" * 3,
            "FHIR_IDENTIFIER_SYSTEM": "https://bench.invalid/fhir/NamingSystem/id",
            "DEMO_ACCOUNTS_REQUIRE_MFA": "false",
            "DATABASE_URL": f"{PG}/{self.db}",
            "REDIS_URL": redis_url,
            "CHANNEL_PREFIX": f"goals{name}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATA_DIR": str(self.dir),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(tree),
        }

    # --- database and data ------------------------------------------------------------------

    def create(self) -> None:
        psql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        psql(f"CREATE DATABASE {self.db}")
        for command in (["migrate", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=self.tree, env=self.env, check=True
            )

    def drop(self) -> None:
        psql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")

    def seed(self, clients: int, conversations: int, offset: int) -> dict:
        """Users (and conversations through the tree's own services) and session cookies; the
        seed code is this checkout's, the application the tree's."""
        import json

        out = self.dir / f"seed{offset}.json"
        subprocess.run(
            [
                *(sys.executable, str(MAIN / "bench" / "bench_live.py"), "--role", "seed"),
                *("--seed-file", str(out), "--seed-offset", str(offset)),
                *("--clients", str(clients), "--conversations", str(conversations)),
            ],
            cwd=self.tree,
            env=self.env,
            check=True,
        )
        seeded = json.loads(out.read_text())
        seeded["cookies"] = {int(k): v for k, v in seeded["cookies"].items()}
        return seeded

    def log_statements(self, on: bool) -> None:
        """For connections opened from now on (the stack restarts around a counting pass)."""
        value = "SET log_statement = 'all'" if on else "RESET log_statement"
        psql(f"ALTER DATABASE {self.db} {value}")

    def counters(self) -> dict[str, int]:
        row = pg_value(
            "SELECT xact_commit + xact_rollback, sessions FROM pg_stat_database "
            f"WHERE datname = '{self.db}'"
        )
        commits, sessions = (int(x) for x in row.split("|"))
        return {"commits": commits, "sessions": sessions}

    def connections(self) -> int:
        return int(pg_value(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{self.db}'"))

    def idle_in_transaction(self) -> int:
        return int(
            pg_value(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                f"'{self.db}' AND state LIKE 'idle in transaction%'"
            )
        )

    # --- servers ----------------------------------------------------------------------------

    def _start(self, name: str, command: list[str], port: int | None) -> None:
        log = (self.dir / f"{name}.log").open("a")
        process = subprocess.Popen(
            command, cwd=self.tree, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        if port:
            wait_for_port(port, process)

    def start(self, *, web_workers: int = 2, web_threads: int = 4) -> None:
        self.web_port = free_port()
        self.live_ports = [free_port() for _ in range(self.daphnes)]
        self.live_port = self.live_ports[0]
        python = sys.executable
        self._start(
            "gunicorn",
            [
                *(python, "-m", "gunicorn", "-b", f"127.0.0.1:{self.web_port}"),
                *("-w", str(web_workers), "--threads", str(web_threads)),
                "regiozorg.wsgi:application",
            ],
            self.web_port,
        )
        for n, port in enumerate(self.live_ports):
            self._start(
                "daphne" if n == 0 else f"daphne{n + 1}",
                [
                    *(python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
                    *("--ping-interval", str(self.ping_interval)),
                    "regiozorg.asgi:application",
                ],
                port,
            )
        self._start(
            "celery",
            [python, "-m", "celery", "-A", "regiozorg", "worker", "-l", "warning"],
            None,
        )
        time.sleep(3)  # the worker's children

    def stop(self) -> None:
        for process in self.processes.values():
            stop(process)
        self.processes.clear()

    def cpu(self) -> dict[str, float]:
        cpu: dict[str, float] = {}
        for name, process in self.processes.items():
            key = "daphne" if name.startswith("daphne") else name  # all Daphnes together
            cpu[key] = cpu.get(key, 0.0) + tree_cpu_seconds(process.pid)
        cpu["redis"] = cpu_seconds(self.redis_pid)
        cpu["postgresql"] = postgres_cpu_seconds()
        return cpu

    def pids(self, prefix: str) -> list[int]:
        return [p.pid for name, p in self.processes.items() if name.startswith(prefix)]

    def log_errors(self) -> list[str]:
        lines = []
        for log in self.dir.glob("*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if "Traceback" in line or " ERROR " in line or "Exception inside" in line:
                    lines.append(f"{log.name}: {line[:200]}")
        return lines


class StatementCount:
    """Statements the bench's database logged between ``start`` and ``stop``."""

    def __init__(self, db: str):
        self.db = db

    def start(self) -> None:
        self.offset = PG_LOG.stat().st_size

    def stop(self) -> int:
        time.sleep(0.5)
        with PG_LOG.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        marker = f"@{self.db} LOG:  "
        return sum(
            1
            for line in text.splitlines()
            if marker in line and ("LOG:  statement:" in line or "LOG:  execute" in line)
        )
