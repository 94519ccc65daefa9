"""The sockets' database threads share the database with whoever else is writing.

Each of ``DB_THREADS`` (and the rights watch's thread) has a connection of its own. While another
connection writes — a page, a service called from a test — their reads must go on and their
writes must wait their turn, never fail. On SQLite's shared-cache in-memory database (Django's
default test database until issue 15) both failed at once with "database table is locked",
so the consumer tests failed now and then on a busy machine.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from accounts.models import User
from conversations.live_process import DB_THREADS

pytestmark = pytest.mark.django_db(transaction=True)


def _first_name(pk: int) -> str:
    return User.objects.get(pk=pk).first_name


def test_a_socket_thread_reads_while_another_connection_is_writing(nurse):
    committed = nurse.first_name
    with transaction.atomic():
        User.objects.filter(pk=nurse.pk).update(first_name="Onderweg")
        seen = DB_THREADS.submit(_first_name, nurse.pk).result(timeout=10)

    assert seen == committed  # the last committed state, not an error
    assert DB_THREADS.submit(_first_name, nurse.pk).result(timeout=10) == "Onderweg"


def test_a_socket_thread_waits_for_another_writer_instead_of_failing(nurse):
    writing = threading.Event()

    def rename():
        writing.wait(timeout=10)
        User.objects.filter(pk=nurse.pk).update(first_name="Daarna")

    with transaction.atomic():
        User.objects.filter(pk=nurse.pk).update(first_name="Eerst")
        later = DB_THREADS.submit(rename)
        writing.set()
        time.sleep(0.3)
        assert not later.done()  # waiting for the write lock, not failed
    later.result(timeout=20)

    nurse.refresh_from_db()
    assert nurse.first_name == "Daarna"
