"""Photos and PDFs in messages: checked by content, stripped of location data, stored privately,
served only through the permission-checked view, each download about a patient logged.

Every test stores its files in a directory of its own (the ``private_files`` fixture).
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from conversations.models import Attachment, Message
from network.models import AccessLogEntry
from tests.conversations.conftest import (
    GPS_TAG,
    PDF_BYTES,
    jpeg_with_gps,
    send,
    start,
)

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HEIC_BYTES = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def png_bomb(side: int = 14_000) -> bytes:
    """A 24 kB black-and-white PNG that claims 14,000 × 14,000 pixels (196 million)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + one bit per pixel
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def stored_files(directory) -> list:
    return [path for path in directory.rglob("*") if path.is_file()]


def post_files(client, conversation, *files, body=""):
    return client.post(
        reverse("conversations:message-create", args=[conversation.pk]),
        {"body": body, "client_key": str(uuid.uuid4()), "files": list(files)},
    )


def attachment_url(attachment) -> str:
    return reverse(
        "conversations:attachment", args=[attachment.message.conversation_id, attachment.pk]
    )


@pytest.fixture
def about_patient(gp, nurse, shared_patient):
    return start(gp, nurse, patient=shared_patient)


def test_a_photo_is_stored_privately_without_its_location(
    login, nurse, about_patient, private_files
):
    original = jpeg_with_gps()
    assert GPS_TAG in Image.open(io.BytesIO(original)).getexif()  # the test photo has one

    response = post_files(
        login(nurse),
        about_patient,
        SimpleUploadedFile("wond-links.jpg", original, content_type="image/jpeg"),
        body="Foto van vandaag",
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type) == ("wond-links.jpg", "image/jpeg")
    [path] = stored_files(private_files)
    assert "wond" not in path.name  # a random name, never the user's
    with Image.open(path) as stored:
        exif = stored.getexif()
        assert stored.format == "JPEG"
        assert stored.size == (64, 48)
        assert GPS_TAG not in exif
        assert 0x010F not in exif  # camera make
        assert stored.getpixel((10, 10))[0] > 150  # still the same (red) picture
    assert attachment.size == path.stat().st_size
    # Not reachable by a storage address, signed in or not: only through the checked view.
    assert Client().get(attachment.file.url).status_code == 404
    assert login(nurse).get(attachment.file.url).status_code == 404


def test_a_photo_is_stored_upright_as_it_was_taken(login, nurse, about_patient, private_files):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[GPS_TAG] = {1: "N", 2: (53.0, 12.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 0, 200)).save(out, format="JPEG", exif=exif)

    post_files(login(nurse), about_patient, SimpleUploadedFile("staand.jpg", out.getvalue()))

    [path] = stored_files(private_files)
    with Image.open(path) as stored:
        assert stored.size == (48, 64)
        assert 0x0112 not in stored.getexif()


def test_the_photo_is_served_only_through_the_checked_view(
    login, gp, nurse, about_patient, private_files
):
    send(nurse, about_patient, "", files=[SimpleUploadedFile("wond.jpg", jpeg_with_gps())])
    attachment = Attachment.objects.get()

    response = login(gp).get(attachment_url(attachment))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("inline")
    body = b"".join(response.streaming_content)
    assert body == stored_files(private_files)[0].read_bytes()
    assert GPS_TAG not in Image.open(io.BytesIO(body)).getexif()
    page = login(gp).get(reverse("conversations:detail", args=[about_patient.pk]))
    assert f'src="{attachment_url(attachment)}"' in page.content.decode()
    assert 'alt="Foto wond.jpg"' in page.content.decode()


def test_downloading_an_attachment_about_a_patient_is_logged(
    login, gp, nurse, about_patient, shared_patient
):
    send(nurse, about_patient, "", files=[SimpleUploadedFile("wond.jpg", jpeg_with_gps())])
    attachment = Attachment.objects.get()

    login(gp).get(attachment_url(attachment), {"download": "1"})

    entry = AccessLogEntry.objects.order_by("-id").first()
    assert (entry.user, entry.patient) == (gp, shared_patient)
    assert entry.object_ref == f"attachment:{attachment.pk}"
    assert entry.relationship == "own_practice"


def test_downloading_an_attachment_without_patient_writes_no_patient_log(login, gp, physio):
    conversation = start(gp, physio)
    send(physio, conversation, "", files=[SimpleUploadedFile("rooster.pdf", PDF_BYTES)])
    before = AccessLogEntry.objects.count()

    response = login(gp).get(attachment_url(Attachment.objects.get()))

    assert response.status_code == 200
    assert AccessLogEntry.objects.count() == before


def test_a_pdf_is_accepted_and_downloaded_as_a_file(login, gp, nurse, about_patient):
    response = post_files(
        login(nurse),
        about_patient,
        SimpleUploadedFile("verslag.pdf", PDF_BYTES, content_type="application/pdf"),
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(PDF_BYTES))
    download = login(gp).get(attachment_url(attachment))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="verslag.pdf"'
    assert b"".join(download.streaming_content) == PDF_BYTES
    page = login(gp).get(reverse("conversations:detail", args=[about_patient.pk]))
    assert "verslag.pdf (" in page.content.decode()


def test_a_program_renamed_to_jpg_is_refused_and_nothing_is_stored(
    login, nurse, about_patient, private_files
):
    response = post_files(
        login(nurse),
        about_patient,
        SimpleUploadedFile("foto.jpg", EXE_BYTES, content_type="image/jpeg"),
        body="Zie bijlage",
    )

    assert response.status_code == 422
    assert "foto.jpg is geen foto (JPEG, PNG, WebP, HEIC) of pdf." in response.content.decode()
    assert Message.objects.filter(body="Zie bijlage").count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files(private_files) == []


def test_a_50_mb_file_is_refused_and_nothing_is_stored(
    login, nurse, about_patient, private_files, settings
):
    assert settings.ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024
    big = jpeg_with_gps() + b"\x00" * (50 * 1024 * 1024)

    response = post_files(
        login(nurse), about_patient, SimpleUploadedFile("groot.jpg", big), body="Grote foto"
    )

    assert response.status_code == 422
    shown = response.content.decode().replace("\xa0", " ")  # filesizeformat: no-break spaces
    assert "groot.jpg is te groot (50,0 MB). Het mag maximaal 20,0 MB zijn." in shown
    assert not Message.objects.filter(body="Grote foto").exists()
    assert stored_files(private_files) == []


def test_a_heic_photo_is_refused_because_its_location_cannot_be_removed(
    login, nurse, about_patient, private_files
):
    response = post_files(
        login(nurse), about_patient, SimpleUploadedFile("IMG_0001.heic", HEIC_BYTES)
    )

    assert response.status_code == 422
    assert "Bij HEIC-foto's kunnen we de locatiegegevens niet verwijderen." in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert stored_files(private_files) == []


def test_a_damaged_photo_is_refused_with_a_dutch_message(
    login, nurse, about_patient, private_files
):
    damaged = jpeg_with_gps()[:200]  # a JPEG header, then the upload broke off

    response = post_files(login(nurse), about_patient, SimpleUploadedFile("kapot.jpg", damaged))

    assert response.status_code == 422
    assert "Deze foto is niet te lezen." in response.content.decode()
    assert stored_files(private_files) == []


def test_at_most_five_files_per_message(login, nurse, about_patient, private_files):
    files = [SimpleUploadedFile(f"verslag-{n}.pdf", PDF_BYTES) for n in range(6)]

    response = post_files(login(nurse), about_patient, *files)

    assert response.status_code == 422
    assert "Maximaal 5 bestanden tegelijk." in response.content.decode()
    assert Attachment.objects.count() == 0
    assert stored_files(private_files) == []


def test_a_picture_that_claims_to_be_enormous_is_refused(
    login, nurse, about_patient, private_files
):
    response = post_files(login(nurse), about_patient, SimpleUploadedFile("scan.png", png_bomb()))

    assert response.status_code == 422
    assert "scan.png heeft meer dan 25 megapixel." in response.content.decode()
    assert stored_files(private_files) == []


def test_a_good_photo_with_a_bad_file_stores_neither(login, nurse, about_patient, private_files):
    response = post_files(
        login(nurse),
        about_patient,
        SimpleUploadedFile("goed.jpg", jpeg_with_gps()),
        SimpleUploadedFile("fout.jpg", EXE_BYTES),
    )

    assert response.status_code == 422
    assert Attachment.objects.count() == 0
    assert stored_files(private_files) == []


def test_a_photo_without_text_is_a_message(login, nurse, about_patient):
    post_files(login(nurse), about_patient, SimpleUploadedFile("wond.jpg", jpeg_with_gps()))

    message = about_patient.messages.order_by("id").last()
    assert message.body == ""
    assert [a.original_name for a in message.attachments.all()] == ["wond.jpg"]


@pytest.mark.parametrize("who", ["outsider", "physio"])
def test_someone_not_in_the_conversation_gets_404_for_the_attachment(
    request, login, nurse, about_patient, who
):
    send(nurse, about_patient, "", files=[SimpleUploadedFile("wond.jpg", jpeg_with_gps())])
    attachment = Attachment.objects.get()

    response = login(request.getfixturevalue(who)).get(attachment_url(attachment))

    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("text/html")


def test_an_attachment_is_found_only_under_its_own_conversation(
    login, gp, nurse, physio, about_patient
):
    send(nurse, about_patient, "", files=[SimpleUploadedFile("wond.jpg", jpeg_with_gps())])
    attachment = Attachment.objects.get()
    other = start(gp, physio, subject="Iets anders")

    response = login(gp).get(reverse("conversations:attachment", args=[other.pk, attachment.pk]))

    assert response.status_code == 404
