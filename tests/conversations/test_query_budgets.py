"""The inbox, consultations and conversation pages run a fixed number of queries.

Each budget holds at 10 and at 100 conversations (and messages, photos, participants). What a
page costs per request: 4 for every page (session, user, memberships, "has a second factor?"),
then its own queries, listed with each budget. Opening a conversation about a patient writes
an access-log entry: 4 queries (savepoint, previous hash, insert, release), plus the advisory
lock that serialises log writers on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conversations.conftest import PDF_BYTES, send, start
from tests.factories import AbsenceFactory, CareNetworkMemberFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = 4
ACCESS_LOG = 4
# Inbox: the people for the person filter, the ordered ids of all matches, the rows of one
# page (unread count, flag and the last message's preview are subqueries of it), the unread
# counts per kind for the conversations/consultations switch (1), and one access-log write for
# the patients the page names.
INBOX_BUDGET = PAGE + 4 + ACCESS_LOG
# Consultations: the same, and one query for the counts per state.
CONSULTATIONS_BUDGET = PAGE + 5 + ACCESS_LOG
# Navigation badge: one grouped count.
BADGE_BUDGET = PAGE + 1
# A conversation: the conversation with its patient (1); the inbox list beside it (wide
# screens): the ordered ids and the rows of the page that holds it (2); one access-log write for
# the conversation's patient and those the list names; participants with today's absences (2),
# the latest messages with their photos (2), who read how far (1, for every "gelezen door"
# under the messages), the reader's flag (1), moving the reader's read mark forward past the
# new message (1, an upsert), and the switch's unread counts per kind (1).
DETAIL_BUDGET = PAGE + 1 + 2 + ACCESS_LOG + 2 + 2 + 1 + 1 + 1 + 1
# The patient's own practice also sees the HIS exports and whether the HIS is connected (2).
DETAIL_PRACTICE_BUDGET = DETAIL_BUDGET + 2


def _lock() -> int:
    """The advisory lock of the access log exists on PostgreSQL only."""
    return 1 if connection.vendor == "postgresql" else 0


def _fill(gp, nurse, shared_patient, n: int):
    """``n`` conversations and ``n`` consultations for the nurse; the last conversation, about
    the patient, has ``n`` more messages, a photo or PDF in every tenth, and ``n // 10`` more
    people (some absent) taking part. Returns that conversation."""
    nursing = nurse.memberships.get().organisation
    for i in range(n):
        start(gp, nurse, subject=f"Gesprek {i}", patient=shared_patient if i % 2 else None)
        start(gp, nurse, subject=f"Consultatie {i}", kind="consultation")
    others = []
    for _ in range(n // 10):
        user = UserFactory()
        MembershipFactory(user=user, organisation=nursing)
        CareNetworkMemberFactory(patient=shared_patient, user=user, organisation=nursing)
        AbsenceFactory(user=user)
        others.append(user)
    conversation = start(gp, nurse, *others, subject="De lange", patient=shared_patient)
    for i in range(n):
        files = [SimpleUploadedFile(f"verslag-{i}.pdf", PDF_BYTES)] if i % 10 == 0 else []
        send(nurse if i % 2 else gp, conversation, f"Bericht {i}", files=files)
    return conversation


def _url(name: str, conversation) -> str:
    if name == "conversations:detail":
        return reverse(name, args=[conversation.pk])
    return reverse(name)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


CASES = [
    ("nurse", "conversations:inbox", INBOX_BUDGET),
    ("gp", "conversations:inbox", INBOX_BUDGET),
    ("nurse", "conversations:consultations", CONSULTATIONS_BUDGET),
    ("gp", "conversations:consultations", CONSULTATIONS_BUDGET),
    ("nurse", "conversations:unread-badge", BADGE_BUDGET),
    ("nurse", "conversations:detail", DETAIL_BUDGET),
    ("gp", "conversations:detail", DETAIL_PRACTICE_BUDGET),
]


@pytest.mark.parametrize("n", [10, 100])
@pytest.mark.parametrize(("who", "url_name", "budget"), CASES)
def test_conversation_pages_stay_within_their_query_budget(
    request,
    login,
    gp,
    nurse,
    shared_patient,
    n,
    who,
    url_name,
    budget,
    django_assert_max_num_queries,
):
    conversation = _fill(gp, nurse, shared_patient, n)
    user = request.getfixturevalue(who)
    client = login(user)
    url = _url(url_name, conversation)
    client.get(url)
    # A new message since the last look: the page moves the read mark (the usual case).
    send(nurse if who == "gp" else gp, conversation, "Nieuw")
    if url_name != "conversations:unread-badge":  # every page but the badge writes the log
        budget += _lock()
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("who", "url_name", "_budget"), CASES)
def test_query_count_does_not_grow_with_the_data(
    request, login, gp, nurse, shared_patient, who, url_name, _budget
):
    user = request.getfixturevalue(who)
    client = login(user)
    small = _fill(gp, nurse, shared_patient, 10)
    url = _url(url_name, small)
    client.get(url)
    send(nurse if who == "gp" else gp, small, "Nieuw")
    at_ten = _queries(client, url)

    big = _fill(gp, nurse, shared_patient, 100)
    url = _url(url_name, big)
    client.get(url)
    send(nurse if who == "gp" else gp, big, "Nieuw")

    assert _queries(client, url) == at_ten
