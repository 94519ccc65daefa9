"""The Daphne process's garbage collector (regiozorg/asgi.py): what was loaded at start is frozen
and collections are rarer than Python's default, so that no full collection walks all of Django
while hundreds of sockets wait (bench/RESULTS.md, issue 13: 130-180 ms pauses before)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings


def test_the_asgi_process_freezes_what_it_loaded_and_collects_less_often():
    probe = (
        "import gc, json; import regiozorg.asgi; "
        "print(json.dumps([gc.get_threshold(), gc.get_freeze_count()]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "regiozorg.settings"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    threshold, frozen = json.loads(out.stdout.strip().splitlines()[-1])
    assert threshold == [20_000, 20, 100]
    # Django, the apps and the URL conf: well over a hundred thousand objects out of sight.
    assert frozen > 100_000
