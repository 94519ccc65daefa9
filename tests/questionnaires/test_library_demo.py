"""Demo data: the four free instruments are in the library and Geertje van der Meer has two
MRC scores, the newest over the cut-off, which the district nurse reads as a trend, and a PHQ-9
sent to her and not filled in yet; seeding twice changes nothing and sends nothing again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.demo import demo_email
from accounts.models import User
from questionnaires.models import PatientLink, Questionnaire, Response
from regiozorg.demo import demo_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


def test_geertje_has_an_mrc_trend_with_the_latest_over_the_cutoff_and_a_sent_phq9(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed()
    assert set(Questionnaire.objects.values_list("slug", flat=True)) == {
        "phq-9",
        "gad-7",
        "mrc-dyspnoe",
        "gfi",
    }
    older, newer = Response.objects.filter(patient__his_id="terp-0001").order_by("submitted_at")
    assert (older.score, older.flagged) == (2, False)
    assert (newer.score, newer.flagged) == (3, True)
    assert newer.interpretation.startswith("MRC-graad 3")
    sent = PatientLink.objects.get(patient__his_id="terp-0001")
    assert (sent.questionnaire.slug, sent.status, sent.email) == (
        "phq-9",
        "sent",
        "g.vandermeer@example.nl",
    )
    assert [m.to for m in mailoutbox if "/vragenlijst/" in m.body] == [[sent.email]]
    counts = (Questionnaire.objects.count(), Response.objects.count(), len(mailoutbox))
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed()
    assert (Questionnaire.objects.count(), Response.objects.count(), len(mailoutbox)) == counts
    assert PatientLink.objects.count() == 1

    nurse = User.objects.get(email=demo_email("wijkverpleegkundige"))
    client.force_login(nurse)
    page = client.get(reverse("questionnaires:results", args=[newer.patient_id]))
    text = page.content.decode()
    assert "MRC-dyspneuschaal (kortademigheid)" in text
    assert "Boven de grens" in text and "Verloop van de scores" in text
    assert "Naar de patiënt gestuurd" in text and "PHQ-9" in text
