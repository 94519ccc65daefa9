"""Demo data: an MDO about Geertje van der Meer with three participants, preparation notes,
minutes and one agreement that is an action in her health plan, and the video call it was held
in (ended; an expired guest link, two chat lines); seeding twice changes nothing."""

from __future__ import annotations

import secrets

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.demo import demo_email
from accounts.models import User
from careplans.models import Action
from meetings.call_access import guest_get
from meetings.models import (
    AgendaItem,
    Agreement,
    Call,
    CallAttendance,
    CallGuest,
    CallMessage,
    Meeting,
    Minutes,
    Participant,
    PreparationNote,
)
from regiozorg.demo import demo_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


def _counts():
    return [
        m.objects.count()
        for m in (
            Meeting,
            Participant,
            AgendaItem,
            PreparationNote,
            Minutes,
            Agreement,
            Action,
            Call,
            CallAttendance,
            CallGuest,
            CallMessage,
        )
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


def test_the_mdo_was_held_in_a_video_call_that_has_ended():
    demo_seed()
    meeting = Meeting.objects.get()
    [call] = Call.objects.filter(meeting=meeting)
    assert call.kind == Call.Kind.MEETING and not call.is_open
    assert call.started_at < call.ended_at < timezone.now()
    assert call.ended_by.email == demo_email("huisarts")

    participants = CallAttendance.objects.filter(call=call, guest__isnull=True)
    assert {a.user.email for a in participants} == {
        demo_email("huisarts"),
        demo_email("wijkverpleegkundige"),
        demo_email("fysiotherapeut"),
    }
    for attendance in participants:
        assert attendance.membership.user_id == attendance.user_id
        assert call.started_at <= attendance.joined_at < attendance.left_at <= call.ended_at
        assert attendance.admitted_at == attendance.joined_at

    [guest] = CallGuest.objects.filter(call=call)
    assert guest.kind == CallGuest.Kind.GUEST and guest.channel == CallGuest.Channel.LINK
    assert "ouderengeneeskunde" in guest.name
    assert guest.expires_at < timezone.now() and guest.revoked_at is None
    assert not guest.works()
    [visit] = CallAttendance.objects.filter(guest=guest)
    assert visit.admitted_by == call.started_by and visit.admitted_at and visit.left_at
    # The token was thrown away: only its hash is stored, and a made-up one opens nothing.
    assert len(guest.token_hash) == 64
    with pytest.raises(Http404):
        guest_get(secrets.token_urlsafe(24))

    chat = list(CallMessage.objects.filter(call=call).order_by("created_at"))
    assert len(chat) == 2 and all(m.body and not m.file for m in chat)
    assert {m.attendance_id for m in chat} <= {
        a.pk for a in CallAttendance.objects.filter(call=call)
    }
    assert all(call.started_at < m.created_at < call.ended_at for m in chat)
    assert len({m.client_key for m in chat}) == 2


def test_a_meeting_seeded_before_there_were_calls_gets_its_call_once():
    demo_seed()
    for model in (CallMessage, CallAttendance, CallGuest, Call):
        model.objects.all().delete()
    demo_seed()
    demo_seed()
    assert Call.objects.count() == 1
    assert CallAttendance.objects.count() == 4 and CallMessage.objects.count() == 2
