"""Feedback on a referral, reported back to the practice's HIS as a SOEP note."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from fhir.resources.R4B.communication import Communication

from conversations.models import Conversation
from his.models import HisExport
from his.selectors import his_exports_of
from network.models import AccessLogEntry
from referrals.his import feedback_his_export_create
from referrals.models import Feedback
from referrals.services import feedback_add, referral_transition
from tests.conversations.conftest import actor_for
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


@pytest.fixture
def feedback(gp, nurse, patient, nursing) -> Feedback:
    referral = refer(gp, patient, nursing, question="Wondzorg rechter onderbeen.")
    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    return feedback_add(
        actor=actor_for(nurse),
        referral=referral,
        kind=Feedback.Kind.START,
        findings="Ulcus 3 x 4 cm, schoon.",
        conclusion="Ulcus cruris venosum.",
        treatment_plan="Compressie en verbandwissel 2x per week.",
        sessions=8,
        advice="Graag glucose controleren.",
    )


def test_the_soep_note_puts_findings_in_o_conclusion_in_e_and_the_plan_in_p(gp, feedback):
    export = feedback_his_export_create(actor=actor_for(gp), feedback=feedback, icpc_code="S97")

    note = export.note_text
    assert note.startswith("S: Terugkoppeling (bij de start) van Thuiszorg Friesland, Nynke")
    assert "  Wondzorg rechter onderbeen." in note
    assert "O:\n  Ulcus 3 x 4 cm, schoon." in note
    # No episode S97 in the HIS: the conclusion is the title, and not said twice.
    assert "E: S97 Ulcus cruris venosum.\nP:" in note
    assert "P:\n  Compressie en verbandwissel 2x per week.\n  Aantal behandelingen: 8" in note
    assert "Advies aan de huisarts:\n    Graag glucose controleren." in note
    Communication.model_validate(export.fhir_json)
    assert AccessLogEntry.objects.filter(
        user=gp, action="export", object_ref=f"his_export:{export.pk}"
    ).exists()


def test_the_export_points_at_its_feedback_by_kind_and_number_together(gp, feedback):
    """A HisExport knows no feedback: its source is a content type and an id. A conversation
    with the feedback's number is another source and finds none of its exports."""
    export = feedback_his_export_create(actor=actor_for(gp), feedback=feedback)

    assert export.source == feedback
    assert list(his_exports_of(model=Feedback, ids=[feedback.pk])) == [export]
    assert not his_exports_of(model=Conversation, ids=[feedback.pk]).exists()


def test_only_the_practice_exports_feedback(nurse, feedback):
    with pytest.raises(PermissionDenied):
        feedback_his_export_create(actor=actor_for(nurse), feedback=feedback)
    assert not HisExport.objects.exists()


def test_without_a_his_connection_the_gp_downloads_the_note(login, gp, feedback, patient):
    client = login(gp)
    referral = feedback.referral

    client.post(reverse("referrals:feedback-his", args=[referral.pk, feedback.pk]))

    export = HisExport.objects.get()
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    download = reverse("referrals:feedback-his-download", args=[referral.pk, export.pk])
    assert download in page
    response = client.get(download)
    text = response.content.decode()
    assert text.startswith(f"Patiënt: {patient.formal_name}")
    assert "Ulcus 3 x 4 cm, schoon." in text


def test_with_a_his_connection_the_feedback_is_sent_once(
    login, gp, feedback, endpoint, his, committing
):
    client = login(gp)
    referral = feedback.referral
    with committing():
        client.post(reverse("referrals:feedback-his", args=[referral.pk, feedback.pk]))

    export = HisExport.objects.get()
    assert export.status == HisExport.Status.SENT
    [request] = his.requests
    assert request["headers"]["Idempotency-Key"] == str(export.idempotency_key)
    body = json.loads(request["body"])
    assert body["resourceType"] == "Communication"
    assert "Ulcus cruris venosum." in body["note"][0]["text"]
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert "verzonden" in page.content.decode()
