"""Uploads: checked by content, stripped of metadata, stored privately.

The type comes from the file's bytes (``filetype``), never from its name or the browser's
claim, and the stored name gets that type's extension. A file that is also a web page (HTML in
its first kilobyte, or behind a PDF's end) is refused: saved and opened, it would run as one.
Photos are re-encoded with Pillow without any metadata — EXIF (GPS position, camera, time), XMP,
comments, text chunks, the colour profile (after converting to sRGB). Their size is read from the
header and a photo over ``ATTACHMENT_MAX_PIXELS`` is refused before anything is decoded; one
photo at a time is decoded per process, so memory stays bounded whatever the number of threads.
Files live in the private storage and are only served by a permission-checked view.

An app that keeps files checks them all with :func:`uploads_prepare` before it writes anything,
then saves each into its own :class:`files.models.PrivateFile` row with
:func:`private_file_save`.
"""

from __future__ import annotations

import io
import re
import threading
import warnings

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from files.models import file_name_for

ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
}
MAX_FILES = 5
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def upload_check(upload) -> str:
    """The content type of an upload, or a Dutch ValidationError. Reads only the header."""
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is %(size)s; the limit is %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ValidationError(
            _("%(name)s is not a photo (JPEG, PNG, WebP, HEIC) or PDF.") % {"name": upload.name},
            code="bad_type",
        )
    return kind.mime


# Tags that make a browser treat bytes as a web page (or run script in them).
HTML_MARKERS = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta|img|style"
    rb"|link|form|base)[\s/>]",
    re.IGNORECASE,
)
SNIFF_BYTES = 1024
# One photo decoded at a time per process: memory per worker stays about one photo's worth.
_DECODING = threading.Lock()
# Only these survive the re-encode: how to draw the picture, nothing about it.
_KEEP_INFO = ("transparency",)
_SRGB = ImageCms.createProfile("sRGB")


def _polyglot_check(name: str, mime: str, data: bytes) -> None:
    """Refuse a file that is also a web page: HTML in its first kilobyte, or (a PDF) after its
    last ``%%EOF``, where PDF readers stop and a browser would start."""
    tail = b""
    if mime == "application/pdf":
        end = data.rfind(b"%%EOF")
        tail = data[end + 5 :] if end != -1 else b""
    if HTML_MARKERS.search(data[:SNIFF_BYTES]) or HTML_MARKERS.search(tail):
        raise ValidationError(
            _("%(name)s contains a web page and is refused. Save it again as a PDF or photo.")
            % {"name": name},
            code="polyglot",
        )


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        _(
            "%(name)s has more than %(limit)s megapixels. Send the photo at a smaller size "
            "(for example as a phone photo of 12 megapixels)."
        )
        % {"name": name, "limit": settings.ATTACHMENT_MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def _image_open(name: str, data: bytes) -> Image.Image:
    """The image with only its header read; refused before any decoding when it has more than
    ``ATTACHMENT_MAX_PIXELS`` pixels."""
    image = Image.open(io.BytesIO(data))  # reads the header, decodes nothing
    if image.width * image.height > settings.ATTACHMENT_MAX_PIXELS:
        raise _too_many_pixels(name)
    return image


def _to_srgb(image: Image.Image) -> None:
    """Convert to sRGB by the photo's colour profile, so dropping the profile keeps the colours
    (a wound's redness); a profile that cannot be applied is simply dropped."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        ImageCms.profileToProfile(image, source, _SRGB, inPlace=True)
    except (ImageCms.PyCMSError, OSError, ValueError):
        pass


def _without_metadata(name: str, data: bytes, mime: str) -> bytes:
    """Re-encode a photo upright as it was taken, in sRGB, without any metadata."""
    try:
        # The lock also makes the (process-wide) warnings filter safe to change here.
        with _DECODING, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _image_open(name, data)
            ImageOps.exif_transpose(image, in_place=True)  # decodes
            _to_srgb(image)
            if mime == "image/jpeg" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            # Pillow writes some of ``info`` back (a JPEG's comment, a PNG's colour profile):
            # keep only what draws the picture.
            image.info = {key: image.info[key] for key in _KEEP_INFO if key in image.info}
            out = io.BytesIO()
            options = {"quality": 90} if mime == "image/jpeg" else {}
            image.save(out, format=IMAGE_FORMATS[mime], **options)
            return out.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError(_("This photo cannot be read."), code="bad_image") from None


def uploads_prepare(files) -> list[tuple[str, str, bytes]]:
    """Check and clean every upload before anything is written: a refused file must leave
    nothing behind. Returns (file name with the extension of its type, content type, bytes)
    per file, photos without metadata."""
    files = list(files or ())
    if len(files) > MAX_FILES:
        raise ValidationError(_("At most %(n)s files at a time.") % {"n": MAX_FILES})
    ready = []
    for upload in files:
        mime = upload_check(upload)
        data = upload.read()
        _polyglot_check(upload.name, mime, data)
        if mime in IMAGE_FORMATS:
            data = _without_metadata(upload.name, data, mime)
        elif mime == "image/heic":
            # Pillow cannot rewrite HEIC here; refuse rather than keep the GPS position.
            raise ValidationError(
                _("HEIC photos cannot be cleaned of their location data; send a JPEG."),
                code="heic",
            )
        ready.append((file_name_for(upload.name[-150:], mime), mime, data))
    return ready


def private_file_save(instance, *, mime: str, data: bytes) -> None:
    """Put checked bytes in ``instance.file`` (private storage, a random name) and save it."""
    instance.size = len(data)
    instance.content_type = mime
    instance.file.save(f"{ALLOWED_TYPES[mime]}", ContentFile(data), save=False)
    instance.save()
