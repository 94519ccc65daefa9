"""Attachments with a referral (the GP's letter) and with feedback (the nurse's report): checked
by content like a message's, stored privately, opened only by whoever may see the referral and
the patient now — every download logged. A refused file leaves nothing behind."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from network.models import AccessLogEntry
from referrals.models import Feedback, Referral, ReferralAttachment, ReferralEvent
from referrals.services import referral_transition
from tests.conversations.conftest import GPS_TAG, PDF_BYTES, actor_for, jpeg_with_gps
from tests.conversations.test_attachments import EXE_BYTES, stored_files
from tests.factories import CareNetworkMemberFactory
from tests.referrals.conftest import refer
from tests.referrals.test_views import text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


def send_referral(client, patient, organisation, *files, key=None, question="Wondzorg."):
    return client.post(
        reverse("referrals:create", args=[patient.pk]),
        {
            "to_organisation": organisation.pk,
            "urgency": "routine",
            "question": question,
            "client_key": str(key or uuid.uuid4()),
            "files": list(files),
        },
    )


def letter_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("verwijsbrief.pdf", PDF_BYTES, content_type="application/pdf")


def attachment_url(attachment: ReferralAttachment) -> str:
    return reverse("referrals:attachment", args=[attachment.referral_id, attachment.pk])


def test_the_gps_letter_and_photo_reach_the_receiver_without_location_data(
    login, gp, nurse, patient, nursing, private_files
):
    sent = send_referral(
        login(gp),
        patient,
        nursing,
        SimpleUploadedFile("verwijsbrief.pdf", PDF_BYTES, content_type="application/pdf"),
        SimpleUploadedFile("wond.jpg", jpeg_with_gps(), content_type="image/jpeg"),
    )
    assert sent.status_code == 302
    referral = Referral.objects.get()
    letter, photo = referral.attachments.order_by("pk")
    assert (letter.original_name, letter.content_type) == ("verwijsbrief.pdf", "application/pdf")
    assert GPS_TAG not in Image.open(io.BytesIO(photo.file.read())).getexif()
    assert len(stored_files(private_files)) == 2

    nurse_client = login(nurse)
    page = nurse_client.get(reverse("referrals:detail", args=[referral.pk]))
    assert "verwijsbrief.pdf" in text(page) and "wond.jpg" in text(page)
    download = nurse_client.get(attachment_url(letter))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Cache-Control"] == "private, no-store"
    logged = AccessLogEntry.objects.get(
        user=nurse, object_ref=f"referral-attachment:{letter.pk}", outcome="allowed"
    )
    assert logged.relationship == "referral" and logged.patient_id == patient.pk


def test_a_program_renamed_to_pdf_is_refused_and_nothing_is_written(
    login, gp, patient, nursing, private_files
):
    response = send_referral(
        login(gp),
        patient,
        nursing,
        SimpleUploadedFile("brief.pdf", PDF_BYTES),
        SimpleUploadedFile("uitslag.pdf", EXE_BYTES, content_type="application/pdf"),
    )

    assert response.status_code == 422
    page = text(response)
    assert "uitslag.pdf is geen foto (JPEG, PNG, WebP, HEIC) of pdf." in page
    assert "Er is niets verstuurd. Kies de bestanden opnieuw." in page
    assert "Wondzorg." in page  # the question is kept for the next try
    assert not Referral.objects.exists()
    assert not ReferralEvent.objects.exists()
    assert not ReferralAttachment.objects.exists()
    assert stored_files(private_files) == []


def test_too_large_and_too_many_files_are_refused(
    login, gp, patient, nursing, private_files, settings
):
    client = login(gp)
    settings.ATTACHMENT_MAX_BYTES = 2048
    big = send_referral(client, patient, nursing, SimpleUploadedFile("scan.pdf", PDF_BYTES * 40))
    assert big.status_code == 422
    assert "scan.pdf is te groot" in text(big)

    settings.ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    six = [SimpleUploadedFile(f"brief-{n}.pdf", PDF_BYTES) for n in range(6)]
    many = send_referral(client, patient, nursing, *six)
    assert many.status_code == 422
    assert "Maximaal 5 bestanden tegelijk." in text(many)
    assert not Referral.objects.exists()
    assert stored_files(private_files) == []


def test_a_form_error_asks_for_the_files_again(login, gp, patient, nursing, private_files):
    response = send_referral(
        login(gp), patient, nursing, SimpleUploadedFile("brief.pdf", PDF_BYTES), question=""
    )

    assert response.status_code == 422
    assert "Er is niets verstuurd. Kies de bestanden opnieuw." in text(response)
    assert not Referral.objects.exists() and stored_files(private_files) == []


def test_pressing_send_twice_gives_one_referral(login, gp, patient, nursing, private_files):
    client, key = login(gp), uuid.uuid4()
    letter = SimpleUploadedFile("brief.pdf", PDF_BYTES)
    first = send_referral(client, patient, nursing, letter, key=key)
    letter.seek(0)
    again = send_referral(client, patient, nursing, letter, key=key)

    referral = Referral.objects.get()
    assert first["Location"] == again["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.attachments.count() == 1
    assert referral.events.filter(action="send").count() == 1
    assert len(stored_files(private_files)) == 1


def test_the_nurses_report_with_the_feedback_reaches_the_gp(login, gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)
    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    nurse_client = login(nurse)
    url = reverse("referrals:feedback", args=[referral.pk])

    refused = nurse_client.post(
        url,
        {"kind": "start", "findings": "Wond 3 cm.", "files": [SimpleUploadedFile("x.pdf", b"MZ")]},
        follow=True,
    )
    assert "x.pdf is geen foto" in text(refused)
    assert not Feedback.objects.exists() and not ReferralAttachment.objects.exists()

    nurse_client.post(
        url,
        {
            "kind": "start",
            "findings": "Wond 3 cm.",
            "files": [SimpleUploadedFile("wondverslag.pdf", PDF_BYTES)],
        },
    )
    [report] = ReferralAttachment.objects.filter(feedback__referral=referral)
    gp_client = login(gp)
    page = gp_client.get(reverse("referrals:detail", args=[referral.pk]))
    assert "wondverslag.pdf" in text(page)
    assert gp_client.get(attachment_url(report)).status_code == 200
    assert AccessLogEntry.objects.filter(
        user=gp, object_ref=f"referral-attachment:{report.pk}", relationship="own_practice"
    ).exists()


def test_an_organisation_not_referred_to_gets_404_even_seeing_the_patient(
    login, gp, physio, physio_practice, shared_patient, nursing
):
    """The physio is in the shared patient's care network, but the referral went to the
    district nurses: its letter stays with them."""
    CareNetworkMemberFactory(patient=shared_patient, user=physio, organisation=physio_practice)
    physio_client = login(physio)
    assert (
        physio_client.get(reverse("network:patient-detail", args=[shared_patient.pk])).status_code
        == 200
    )
    referral = refer(gp, shared_patient, nursing, files=[letter_pdf()])
    letter = referral.attachments.get()

    assert physio_client.get(attachment_url(letter)).status_code == 404
    assert physio_client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404


def test_after_a_decline_the_receiver_no_longer_opens_the_letter(
    login, gp, nurse, patient, nursing
):
    """A declined referral stays in the receiver's history, but its patient data — the letter
    included — is no longer theirs to open."""
    referral = refer(gp, patient, nursing, files=[letter_pdf()])
    letter = referral.attachments.get()
    client = login(nurse)
    assert client.get(attachment_url(letter)).status_code == 200

    referral_transition(actor=actor_for(nurse), referral=referral, action="decline", reason="Vol")

    detail = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert detail.status_code == 200
    assert "verwijsbrief.pdf" not in text(detail)  # not even the file's name
    assert client.get(attachment_url(letter)).status_code == 404
    assert AccessLogEntry.objects.filter(
        user=nurse, object_ref=f"referral-attachment:{letter.pk}", outcome="denied"
    ).exists()
