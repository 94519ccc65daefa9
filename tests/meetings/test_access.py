"""Who sees an MDO and what of it: non-participants get 404 as for a meeting that does not
exist; a participant sees only the agenda items whose patient ``network.access`` lets them
see, and every look at a patient is in the access log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from meetings.models import PreparationNote
from network.models import AccessLogEntry

pytestmark = pytest.mark.django_db


def test_outsider_and_physio_get_404_like_a_meeting_that_does_not_exist(
    mdo, login, outsider, physio
):
    meeting, shared_item, _hidden = mdo
    for user in (outsider, physio):
        client = login(user)
        assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
        assert client.get(reverse("meetings:detail", args=[987654])).status_code == 404
        assert client.get(reverse("meetings:report", args=[meeting.pk])).status_code == 404
        response = client.post(
            reverse("meetings:note-save", args=[meeting.pk, shared_item.pk]), {"text": "x"}
        )
        assert response.status_code == 404
        assert "MDO ouderenzorg" not in client.get(reverse("meetings:list")).content.decode()
    assert not PreparationNote.objects.exists()


def test_nurse_sees_sjoerd_but_nothing_about_geertje(mdo, login, nurse):
    meeting, shared_item, hidden_item = mdo
    client = login(nurse)
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Sjoerd: insuline thuis of niet?" in page
    assert "Dijkstra" in page
    assert "Geertje" not in page and "valrisico" not in page and "Meer" not in page
    assert "Een patiënt die je niet kunt zien" in page
    # The names shown are logged: Sjoerd's, not Geertje's.
    logged = AccessLogEntry.objects.filter(user=nurse, object_ref=f"meeting:{meeting.pk}")
    assert set(logged.values_list("patient_id", flat=True)) == {shared_item.patient_id}
    # Geertje's item's own pages: 404, and the refusal is logged.
    response = client.post(
        reverse("meetings:note-save", args=[meeting.pk, hidden_item.pk]), {"text": "Mijn idee"}
    )
    assert response.status_code == 404
    assert AccessLogEntry.objects.filter(
        user=nurse, patient_id=hidden_item.patient_id, outcome="denied"
    ).exists()
    assert not PreparationNote.objects.exists()


def test_participant_may_not_do_what_the_chair_does(mdo, login, nurse):
    meeting, shared_item, _hidden = mdo
    client = login(nurse)
    minutes = client.post(
        reverse("meetings:minutes-save", args=[meeting.pk, shared_item.pk]), {"text": "x"}
    )
    assert minutes.status_code == 403
    close = client.post(reverse("meetings:status", args=[meeting.pk]), {"action": "close"})
    assert close.status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == "planned"


def test_reading_the_meeting_page_logs_the_gps_look_at_both_patients(mdo, login, gp):
    meeting, shared_item, hidden_item = mdo
    login(gp).get(reverse("meetings:detail", args=[meeting.pk]))
    logged = AccessLogEntry.objects.filter(user=gp, object_ref=f"meeting:{meeting.pk}")
    assert set(logged.values_list("patient_id", flat=True)) == {
        shared_item.patient_id,
        hidden_item.patient_id,
    }
    assert set(logged.values_list("relationship", flat=True)) == {"own_practice"}


def test_list_shows_my_meetings_only(mdo, login, nurse, gp, other_practice):
    meeting, *_ = mdo
    page = login(nurse).get(reverse("meetings:list")).content.decode()
    assert "MDO ouderenzorg" in page
    assert reverse("meetings:detail", args=[meeting.pk]) in page
