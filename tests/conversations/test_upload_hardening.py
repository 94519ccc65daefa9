"""Uploads that try more than being a photo or a PDF: too many pixels for a worker's memory,
a web page hidden in a PDF, metadata that survives re-encoding, a misleading file name.

Every test stores its files in a directory of its own (the ``private_files`` fixture).
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile

from conversations.models import Attachment
from referrals.models import ReferralAttachment
from tests.conversations.conftest import GPS_TAG, PDF_BYTES, jpeg_with_gps
from tests.conversations.test_attachments import attachment_url, post_files, stored_files

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
GPS_TEXT = b"GPS 53.2012N 5.7999E Oldehove"
MIB = 1024 * 1024


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def huge_png(side: int = 6300) -> bytes:
    """Like the issue's: an RGB PNG of 6,300 x 6,300 pixels (39.7 million) in about 120 kB."""
    row = b"\x00" * (1 + 3 * side)  # filter byte + three bytes per pixel, all black
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8 bits, RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def huge_png_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("png") / "scan.png"
    path.write_bytes(huge_png())
    return path


@pytest.fixture
def about_patient(gp, nurse, shared_patient):
    from tests.conversations.conftest import start

    return start(gp, nurse, patient=shared_patient)


# --- The pixel limit ----------------------------------------------------------------------------


def test_a_photo_with_too_many_pixels_is_refused_before_any_decoding(
    login, nurse, about_patient, private_files, huge_png_file, monkeypatch, settings
):
    assert settings.ATTACHMENT_MAX_PIXELS == 25_000_000
    # A phone photo of 24 megapixels (6,000 x 4,000) is fine.
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), (200, 40, 40)).save(out, format="JPEG", quality=70)
    photo = post_files(login(nurse), about_patient, SimpleUploadedFile("wond.jpg", out.getvalue()))
    assert photo.status_code == 302
    [kept] = stored_files(private_files)

    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image))
    data = huge_png_file.read_bytes()
    assert len(data) < 200 * 1024

    response = post_files(login(nurse), about_patient, SimpleUploadedFile("scan.png", data))

    assert response.status_code == 422
    assert "scan.png heeft meer dan 25 megapixel." in response.content.decode()
    assert decoded == []
    assert stored_files(private_files) == [kept]


MEASURE = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from files.services import uploads_prepare

    def peak_kib():
        # This process's own high-water mark (getrusage's ru_maxrss starts from the parent's).
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    data = open(sys.argv[1], "rb").read()
    files = [SimpleUploadedFile(f"scan-{n}.png", data) for n in range(5)]
    before = peak_kib()
    try:
        uploads_prepare(files)
        outcome = "accepted"
    except ValidationError as error:
        outcome = "refused: " + " ".join(error.messages)
    print(json.dumps({"outcome": outcome, "grown_kib": peak_kib() - before}))
    """
)


def _measure(path: Path, **env) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "regiozorg.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_refusing_five_huge_photos_takes_almost_no_memory(huge_png_file):
    """Five such files in one message, in a fresh process: the peak memory hardly moves. With
    the limit raised (the control) the same files are decoded, about 150 MiB each."""
    refused = _measure(huge_png_file)
    assert refused["outcome"].startswith("refused: scan-0.png heeft meer dan 25 megapixel")
    assert refused["grown_kib"] < 20 * 1024

    decoded = _measure(huge_png_file, ATTACHMENT_MAX_PIXELS="50000000")
    assert decoded["outcome"] == "accepted"
    assert decoded["grown_kib"] > 100 * 1024  # the measurement does see a decode


# --- Metadata -----------------------------------------------------------------------------------


def jpeg_with_everything() -> bytes:
    """A JPEG with EXIF (GPS), a comment segment, XMP and a colour profile, each naming a place."""
    exif = Image.Exif()
    exif[GPS_TAG] = {1: "N", 2: (53.0, 12.0, 0.0), 3: "E", 4: (5.0, 47.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(
        out,
        format="JPEG",
        exif=exif,
        comment=GPS_TEXT,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + GPS_TEXT + b"</x:xmpmeta>",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    return out.getvalue()


def test_a_jpeg_comment_and_every_other_metadata_segment_are_dropped(
    login, nurse, about_patient, private_files
):
    original = jpeg_with_everything()
    with Image.open(io.BytesIO(original)) as before:
        assert before.info["comment"] == GPS_TEXT  # the test photo carries all of them
        assert {"exif", "xmp", "icc_profile"} <= set(before.info)

    response = post_files(login(nurse), about_patient, SimpleUploadedFile("wond.jpg", original))

    assert response.status_code == 302
    [path] = stored_files(private_files)
    stored = path.read_bytes()
    assert GPS_TEXT not in stored
    assert b"Oldehove" not in stored
    with Image.open(path) as image:
        assert not {"comment", "exif", "xmp", "icc_profile"} & set(image.info)
        assert GPS_TAG not in image.getexif()
        assert image.getpixel((10, 10))[0] > 150  # still the same (red) picture
    # Only the markers of a bare JPEG: no COM (FE), APPn (E1-EF) but JFIF's APP0.
    markers = {stored[i + 1] for i in range(len(stored) - 1) if stored[i] == 0xFF}
    assert 0xFE not in markers
    assert not markers & set(range(0xE1, 0xF0))


def test_png_text_chunks_and_colour_profile_are_dropped(login, nurse, about_patient, private_files):
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Location", GPS_TEXT.decode())
    text.add_itxt("Comment", "Thuisadres: Oldehove 1", zip=True)
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 90, 200, 128)).save(
        out,
        format="PNG",
        pnginfo=text,
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )

    response = post_files(
        login(nurse), about_patient, SimpleUploadedFile("schema.png", out.getvalue())
    )

    assert response.status_code == 302
    [path] = stored_files(private_files)
    stored = path.read_bytes()
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"eXIf"):
        assert chunk not in stored
    with Image.open(path) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((5, 5)) == (0, 90, 200, 128)


# --- Polyglots and file names -------------------------------------------------------------------

HTML_AFTER_EOF = PDF_BYTES + b"<html><body><script>alert(document.cookie)</script></body></html>"
HTML_IN_HEADER = PDF_BYTES.replace(
    b"%PDF-1.4\n", b"%PDF-1.4\n%<!DOCTYPE html><script>alert(1)</script>\n"
)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("uitslag.html", HTML_AFTER_EOF),
        ("uitslag.pdf", HTML_AFTER_EOF),
        ("uitslag.pdf", HTML_IN_HEADER),
        ("foto.jpg", jpeg_with_gps()[:200] + b"<svg onload=alert(1)>" + jpeg_with_gps()[200:]),
    ],
    ids=["pdf-then-html-named-html", "pdf-then-html", "html-in-first-kilobyte", "jpeg-with-svg"],
)
def test_a_file_that_is_also_a_web_page_is_refused(
    login, nurse, about_patient, private_files, name, data
):
    response = post_files(login(nurse), about_patient, SimpleUploadedFile(name, data))

    assert response.status_code == 422
    assert f"{name} bevat een webpagina en is geweigerd." in response.content.decode()
    assert Attachment.objects.count() == 0
    assert stored_files(private_files) == []


def test_a_pdf_named_html_is_stored_and_downloaded_as_pdf(login, gp, nurse, about_patient):
    response = post_files(
        login(nurse),
        about_patient,
        SimpleUploadedFile("uitslag.html", PDF_BYTES, content_type="text/html"),
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type) == (
        "uitslag.pdf",
        "application/pdf",
    )
    download = login(gp).get(attachment_url(attachment))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="uitslag.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"

    # A file stored before names were corrected keeps the extension of its type too.
    Attachment.objects.update(original_name="oude-uitslag.html")
    old = login(gp).get(attachment_url(attachment))
    assert old["Content-Disposition"] == 'attachment; filename="oude-uitslag.pdf"'


def test_a_referral_letter_named_html_is_downloaded_as_pdf(login, gp, nurse, patient, nursing):
    from tests.referrals.test_attachments import attachment_url as referral_attachment_url
    from tests.referrals.test_attachments import send_referral

    sent = send_referral(
        login(gp), patient, nursing, SimpleUploadedFile("verwijsbrief.htm", PDF_BYTES)
    )

    assert sent.status_code == 302
    letter = ReferralAttachment.objects.get()
    assert letter.original_name == "verwijsbrief.pdf"
    download = login(nurse).get(referral_attachment_url(letter))
    assert download["Content-Disposition"] == 'attachment; filename="verwijsbrief.pdf"'


def test_a_polyglot_referral_letter_is_refused(login, gp, patient, nursing, private_files):
    from tests.referrals.test_attachments import send_referral

    response = send_referral(
        login(gp), patient, nursing, SimpleUploadedFile("brief.pdf", HTML_AFTER_EOF)
    )

    assert "brief.pdf bevat een webpagina en is geweigerd." in response.content.decode()
    assert ReferralAttachment.objects.count() == 0
    assert stored_files(private_files) == []
