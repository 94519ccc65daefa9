"""The machine and its processes, read from /proc (psutil is not installed)."""

# ruff: noqa: S603  (a bench: it runs nproc, uptime and free)
from __future__ import annotations

import asyncio
import os
import resource
import subprocess
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def sh(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()


def machine() -> None:
    print(f"machine: nproc={sh('nproc')}; {sh('uptime')}")
    print(sh("free", "-m"))


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its children (a gunicorn master and its workers)."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    print(f"open files: soft limit {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} (hard {hard})")


class Sampler:
    """Peak RSS of a process, sampled every half second."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = rss_mb(pid)
        self.task = asyncio.create_task(self.run())

    async def run(self):
        while True:
            self.peak = max(self.peak, rss_mb(self.pid))
            await asyncio.sleep(0.5)

    def stop(self):
        self.task.cancel()
