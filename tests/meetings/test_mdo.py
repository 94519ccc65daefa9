"""The MDO from preparation to report: notes and minutes, an agreement that becomes one
health-plan action however often it is clicked, closing that mails every participant (no
medical data in the e-mail), and the report for the HIS as a valid FHIR Bundle."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from careplans.models import Action, Goal, Problem
from his.models import HisExport
from meetings.his import item_bundle, item_note_build
from meetings.models import Agreement, Minutes, PreparationNote
from network.models import AccessLogEntry
from tests.fhir.validation import assert_valid_r4
from tests.meetings.conftest import membership_of

pytestmark = pytest.mark.django_db


def test_participants_write_preparation_and_the_chair_keeps_minutes(mdo, login, gp, nurse):
    meeting, shared_item, _hidden = mdo
    url = reverse("meetings:note-save", args=[meeting.pk, shared_item.pk])
    assert login(nurse).post(url, {"text": "Glucose loopt op in de avond."}).status_code == 302
    assert login(nurse).post(url, {"text": "Glucose loopt op, ook 's nachts."}).status_code == 302
    note = PreparationNote.objects.get()  # changed, not a second one
    assert note.text == "Glucose loopt op, ook 's nachts."
    assert note.participant.membership == membership_of(nurse)
    assert AccessLogEntry.objects.filter(
        user=nurse, object_ref=f"meeting_note:{note.pk}", action="update"
    ).exists()

    minutes = reverse("meetings:minutes-save", args=[meeting.pk, shared_item.pk])
    assert login(gp).post(minutes, {"text": "Besproken: avonddosis omlaag."}).status_code == 302
    assert Minutes.objects.get(item=shared_item).text == "Besproken: avonddosis omlaag."
    page = login(nurse).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Glucose loopt op, ook &#x27;s nachts." in page
    assert "Besproken: avonddosis omlaag." in page


def test_agreement_becomes_one_health_plan_action_in_one_click(mdo, login, gp, nurse):
    meeting, shared_item, _hidden = mdo
    client = login(gp)
    client.post(
        reverse("meetings:agreement-add", args=[meeting.pk, shared_item.pk]),
        {
            "text": "Avondcontrole glucose door de wijkverpleging",
            "owner": membership_of(nurse).pk,
            "due_date": "2026-12-18",
        },
    )
    agreement = Agreement.objects.get()
    url = reverse("meetings:agreement-action", args=[meeting.pk, agreement.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a double click
    action = Action.objects.get()
    assert action.description == "Avondcontrole glucose door de wijkverpleging"
    assert action.owner == membership_of(nurse)
    assert action.due_date == datetime.date(2026, 12, 18)
    assert action.goal.description == "Sjoerd: insuline thuis of niet?"
    assert Problem.objects.get().title == "Afspraken uit het MDO"
    agreement.refresh_from_db()
    assert agreement.plan_action_uuid == action.uuid
    page = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Actie in het gezondheidsplan" in page
    # A second agreement of the same item lands under the same goal.
    client.post(
        reverse("meetings:agreement-add", args=[meeting.pk, shared_item.pk]),
        {"text": "Diëtist inschakelen"},
    )
    second = Agreement.objects.get(text="Diëtist inschakelen")
    client.post(reverse("meetings:agreement-action", args=[meeting.pk, second.pk]))
    assert Action.objects.count() == 2 and Goal.objects.count() == 1
    assert Action.objects.get(description="Diëtist inschakelen").owner == membership_of(gp)


def test_an_owner_outside_the_care_network_is_refused_in_dutch(mdo, login, gp, physio):
    meeting, shared_item, _hidden = mdo
    agreement = Agreement.objects.create(
        item=shared_item, text="Looptraining", owner=membership_of(physio), created_by=gp
    )
    response = login(gp).post(
        reverse("meetings:agreement-action", args=[meeting.pk, agreement.pk]), follow=True
    )
    assert "niet in het zorgnetwerk" in response.content.decode()
    assert not Action.objects.exists() and not Problem.objects.exists()
    agreement.refresh_from_db()
    assert agreement.plan_action_uuid is None


def test_closing_mails_every_participant_without_medical_data(
    mdo, login, gp, nurse, mailoutbox, django_capture_on_commit_callbacks
):
    meeting, shared_item, _hidden = mdo
    client = login(gp)
    client.post(
        reverse("meetings:minutes-save", args=[meeting.pk, shared_item.pk]),
        {"text": "Insuline blijft thuis"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meetings:status", args=[meeting.pk]), {"action": "close"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "closed" and meeting.closed_at
    assert sorted(m.to[0] for m in mailoutbox) == sorted([gp.email, nurse.email])
    report_url = reverse("meetings:report", args=[meeting.pk])
    for mail in mailoutbox:
        text = mail.subject + mail.body + mail.alternatives[0][0]
        assert "Het verslag van een MDO" in text
        assert report_url in mail.body
        for secret in ("Sjoerd", "Dijkstra", "Geertje", "insuline", "Insuline", meeting.title):
            assert secret not in text
    # Closing again sends nothing; a closed meeting takes no more minutes.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meetings:status", args=[meeting.pk]), {"action": "close"})
    assert mailoutbox == []
    refused = client.post(
        reverse("meetings:minutes-save", args=[meeting.pk, shared_item.pk]), {"text": "later"}
    )
    assert refused.status_code == 422
    assert "Dit MDO is gesloten" in refused.content.decode()
    # The nurse reads the report: Sjoerd only.
    report = login(nurse).get(report_url).content.decode()
    assert "Insuline blijft thuis" in report and "Geertje" not in report


def test_report_goes_to_the_his_as_a_valid_composition(mdo, login, gp, nurse):
    meeting, shared_item, _hidden = mdo
    client = login(gp)
    client.post(
        reverse("meetings:minutes-save", args=[meeting.pk, shared_item.pk]),
        {"text": "Insuline blijft thuis <ook 's avonds>"},
    )
    Agreement.objects.create(
        item=shared_item,
        text="Avondcontrole",
        owner=membership_of(nurse),
        due_date=datetime.date(2026, 12, 18),
        created_by=gp,
    )
    export_url = reverse("meetings:item-his-export", args=[meeting.pk, shared_item.pk])
    client.post(export_url)
    assert not HisExport.objects.exists()  # not before the meeting is closed
    client.post(reverse("meetings:status", args=[meeting.pk]), {"action": "close"})
    client.post(export_url)
    client.post(export_url)  # unchanged: the same export
    export = HisExport.objects.get()
    bundle = export.fhir_json
    assert_valid_r4(bundle)
    [composition] = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Composition"
    ]
    assert [s["title"] for s in composition["section"]] == ["Vraag", "Verslag", "Afspraken"]
    assert "&lt;ook" in composition["section"][1]["text"]["div"]
    assert "Avondcontrole – " in export.note_text and "uiterlijk 18-12-2026" in export.note_text
    assert AccessLogEntry.objects.filter(
        user=gp, action="export", object_ref=f"his_export:{export.pk}"
    ).exists()
    download = client.get(
        reverse("meetings:item-his-export-download", args=[meeting.pk, shared_item.pk, export.pk])
    )
    assert download.status_code == 200
    assert "Patiënt: Dijkstra, S." in download.content.decode()
    # The nurse sees the patient but is not the practice: 403.
    assert login(nurse).post(export_url).status_code == 403


def test_note_and_bundle_builders_without_minutes_or_agreements(mdo):
    _meeting, shared_item, _hidden = mdo
    note = item_note_build(shared_item, "", [])
    assert note.splitlines()[0].startswith("S: MDO MDO ouderenzorg (11-12-2026)")
    assert_valid_r4(item_bundle(shared_item, "", []))
