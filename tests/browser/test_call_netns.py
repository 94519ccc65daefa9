"""The call journeys (``test_call_journeys.py``) inside a private network namespace.

``unshare -n`` gives the test run a network of its own with only a loopback interface: the
Daphne server, the browsers and their WebRTC connections all live there, so a call that
connects has provably connected over loopback and nothing left the machine. The run inside
uses the embedded stack (SQLite, the in-memory channel layer, Celery eager): PostgreSQL and
Redis listen on the host's network, which the namespace cannot reach. Needs root (or user
namespaces) for ``unshare``; CI runs as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.chromium import browser_tests_required, chromium_path

BASE_DIR = Path(__file__).resolve().parents[2]
JOURNEYS = "tests/browser/test_call_journeys.py"


def test_the_call_journeys_pass_inside_a_private_network_namespace(tmp_path):
    if chromium_path() is None or shutil.which("unshare") is None:
        if browser_tests_required():
            pytest.fail("BROWSER_TESTS=required but Chromium or unshare is missing")
        pytest.skip("needs Chromium and unshare")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        if browser_tests_required():
            pytest.fail(f"unshare -n is not allowed here: {probe.stderr.decode()[:300]}")
        pytest.skip("unshare -n is not allowed for this user")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CHANNEL_PREFIX", "PYTEST_ADDOPTS")
    }
    env.update(CALL_NETNS="1", DATA_DIR=str(tmp_path / "data"), BROWSER_TESTS="required")
    script = (
        f"ip link set lo up && exec {sys.executable} -m pytest -q -p no:cacheprovider {JOURNEYS}"
    )
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    assert " passed" in result.stdout and " skipped" not in result.stdout, output
