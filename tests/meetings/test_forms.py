"""Forms answer in Dutch and store nothing when something is wrong; the nav's MDO link opens
the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from meetings.models import AgendaItem, Meeting, Participant
from tests.factories import PatientFactory
from tests.meetings.conftest import membership_of

pytestmark = pytest.mark.django_db


def test_a_new_meeting_without_date_is_refused_in_dutch(login, gp):
    client = login(gp)
    response = client.post(reverse("meetings:create"), {"title": "", "held_on": "31-02-2026"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Dit veld is verplicht." in page
    assert "Voer een geldige datum in." in page
    assert not Meeting.objects.exists()
    ok = client.post(
        reverse("meetings:create"),
        {"title": "MDO Stiens", "held_on": "2026-12-11", "held_time": "15:00"},
    )
    meeting = Meeting.objects.get()
    assert ok["Location"] == reverse("meetings:detail", args=[meeting.pk])
    assert Participant.objects.get(meeting=meeting).is_chair


def test_agenda_refuses_a_patient_the_chair_may_not_see_in_dutch(
    mdo, login, gp, other_practice, shared_patient
):
    meeting, *_ = mdo
    stranger = PatientFactory(practice=other_practice, his_id="anker-0001")
    client = login(gp)
    url = reverse("meetings:item-add", args=[meeting.pk])
    response = client.post(url, {"patient_number": stranger.his_id, "question": "Mag dit?"})
    assert response.status_code == 422
    assert "Geen patiënt gevonden met dit HIS-nummer of BSN" in response.content.decode()
    again = client.post(url, {"patient_number": shared_patient.his_id, "question": "Nog eens"})
    assert again.status_code == 422
    assert "Deze patiënt staat al op de agenda." in again.content.decode()
    empty = client.post(url, {"patient_number": "linde-0009", "question": ""})
    assert "Dit veld is verplicht." in empty.content.decode()
    assert AgendaItem.objects.filter(meeting=meeting).count() == 2


def test_only_colleagues_and_the_care_network_can_take_part(
    mdo, login, gp, physio, physio_in_network
):
    meeting, *_ = mdo
    client = login(gp)
    url = reverse("meetings:participant-add", args=[meeting.pk])
    # The physio is now in Sjoerd's care network: a candidate.
    assert client.post(url, {"membership": membership_of(physio).pk}).status_code == 302
    assert Participant.objects.filter(meeting=meeting).count() == 3
    refused = client.post(url, {"membership": 987654})
    assert refused.status_code == 422
    assert "Kies iemand uit de lijst." in refused.content.decode()


def test_the_navigation_links_to_the_mdo_list(login, nurse):
    page = login(nurse).get(reverse("meetings:list")).content.decode()
    assert f'href="{reverse("meetings:list")}"' in page
    assert "Je neemt nog aan geen enkel MDO deel." in page
