"""Shared set-up for the benchmarks: Django on a throw-away database.

A temporary SQLite file, or a fresh test database on the PostgreSQL server of ``DATABASE_URL``
when that is set; it is removed afterwards.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regiozorg.settings")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="regiozorg-bench-"))


def run_on_throwaway_database(run, args) -> None:
    """Call ``run(args, connection)`` with Django set up on a database made for the run."""
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    old_name = connection.settings_dict["NAME"]
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, connection)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        print(f"(database {test_db} removed)")
