"""Demo data: an MDO about Geertje van der Meer with three participants, preparation notes,
minutes and one agreement that is an action in her health plan; seeding twice changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.demo import demo_email
from accounts.models import User
from careplans.models import Action
from meetings.models import AgendaItem, Agreement, Meeting, Minutes, Participant, PreparationNote
from regiozorg.demo import demo_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


def _counts():
    return [
        m.objects.count()
        for m in (Meeting, Participant, AgendaItem, PreparationNote, Minutes, Agreement, Action)
    ]


def test_geertje_has_an_mdo_with_three_participants_and_an_action(client):
    demo_seed()
    meeting = Meeting.objects.get()
    [item] = AgendaItem.objects.filter(meeting=meeting)
    assert str(item.patient) == "Geertje van der Meer" and item.patient.his_id == "terp-0001"
    emails = set(
        Participant.objects.filter(meeting=meeting).values_list(
            "membership__user__email", flat=True
        )
    )
    assert emails == {
        demo_email("huisarts"),
        demo_email("wijkverpleegkundige"),
        demo_email("fysiotherapeut"),
    }
    assert PreparationNote.objects.filter(item=item).count() == 3
    assert Minutes.objects.get(item=item).text
    turned = Agreement.objects.get(item=item, plan_action_uuid__isnull=False)
    action = Action.objects.get(uuid=turned.plan_action_uuid)
    assert action.plan.patient == item.patient
    assert action.owner.user.email == demo_email("wijkverpleegkundige")
    assert Agreement.objects.filter(item=item, plan_action_uuid__isnull=True).count() == 1

    counts = _counts()
    demo_seed()
    assert _counts() == counts

    client.force_login(User.objects.get(email=demo_email("fysiotherapeut")))
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Mevrouw wordt kortademiger" in page
    assert "Tinetti 17" in page
