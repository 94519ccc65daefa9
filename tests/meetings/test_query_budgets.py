"""The list of MDOs and one MDO's page cost the same queries for 10 and for 100 meetings,
agenda items, notes and agreements."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, Agreement, Meeting, Minutes, Participant, PreparationNote
from tests.factories import PatientFactory
from tests.meetings.conftest import held_at, meeting_by, membership_of

pytestmark = pytest.mark.django_db

# Session, user, memberships, second-factor check.
PAGE = 4
# The list: the count and the page's rows (chair and organisation joined, the agenda counted).
LIST = 2
# The meeting: the participant row (with the meeting), the participants, the items (with
# patient, minutes and whether the viewer sees the patient), their notes and agreements (two
# prefetches), the access-log write of the names shown (savepoint, advisory lock, chain head,
# insert, release), the chair's candidates to add, the meeting's video calls (one more, who is
# in it, while a call is on), and the messages/header queries of the base page. Measured: 6
# for the list and 18 for the meeting, the same at 10 and at 100 (a query per item would add
# 10 or 100).
MEETING = 14


@pytest.mark.parametrize("n", [10, 100])
def test_the_list_with_n_meetings(n, login, gp, django_assert_max_num_queries):
    for i in range(n):
        meeting_by(gp, title=f"MDO {i}")
    client = login(gp)
    url = reverse("meetings:list")
    client.get(url)  # settle the session's first-request writes
    with django_assert_max_num_queries(PAGE + LIST):
        response = client.get(url)
    assert len(re.findall(r'href="/mdo/\d+/"', response.content.decode())) == min(n, 25)


@pytest.mark.parametrize("n", [10, 100])
def test_the_meeting_page_with_n_patients(
    n, login, gp, nurse, practice, django_assert_max_num_queries
):
    meeting = meeting_by(gp)
    chair = Participant.objects.get(meeting=meeting)
    nurse_taking_part = Participant.objects.create(
        meeting=meeting, membership=membership_of(nurse), added_by=gp
    )
    patients = [PatientFactory(practice=practice) for _ in range(n)]
    items = AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, patient=p, question=f"Vraag {i}", order=i, created_by=gp)
        for i, p in enumerate(patients)
    )
    for item in items:
        PreparationNote.objects.create(item=item, participant=chair, text="Voorbereiding")
        PreparationNote.objects.create(item=item, participant=nurse_taking_part, text="Ook")
        Minutes.objects.create(item=item, text="Besproken", updated_by=gp)
        Agreement.objects.create(
            item=item, text="Afspraak", owner=membership_of(nurse), created_by=gp
        )
    client = login(gp)
    url = reverse("meetings:detail", args=[meeting.pk])
    client.get(url)
    with django_assert_max_num_queries(PAGE + MEETING):
        response = client.get(url)
    page = response.content.decode()
    assert len(re.findall(r'id="item-\d+"', page)) == n
    assert page.count('id="agreement-') == n
    assert Meeting.objects.get().held_at == held_at()
