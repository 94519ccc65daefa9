"""Helpers the live benchmarks share: ports, processes, the local PostgreSQL, percentiles."""

# ruff: noqa: S603, S607  (a bench: it runs psql)

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process {process.args} ended with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGCONT)  # a frozen process cannot act on SIGTERM
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def psql(sql: str) -> None:
    """One statement on the local server's ``postgres`` database (create/drop databases)."""
    subprocess.run(
        ["psql", f"{PG}/postgres", "-qAtc", sql], check=True, capture_output=True, text=True
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def describe(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"n={len(values)} p50={percentile(values, 50):.2f} p90={percentile(values, 90):.2f} "
        f"p99={percentile(values, 99):.2f} max={max(values):.2f} ms"
    )
