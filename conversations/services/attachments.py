"""Attachments and photos: checked by content, stripped of metadata, stored privately.

The type comes from the file's bytes (``filetype``), never from its name or the browser's
claim; photos are re-encoded with Pillow, which drops EXIF (GPS position, camera, time). Files
live in the private storage and are only served by a permission-checked view.
"""

from __future__ import annotations

import io
import warnings
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from conversations.models import Attachment, Message

ALLOWED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
}
MAX_FILES = 5
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def attachment_check(upload) -> str:
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


MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone photo, far below a "bomb"


def _without_metadata(data: bytes, mime: str) -> bytes:
    """Re-encode a photo without EXIF, upright as it was taken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(_("This photo is too large to process."), code="too_big")
            image = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            options = {"quality": 90} if mime == "image/jpeg" else {}
            if mime == "image/jpeg" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(out, format=IMAGE_FORMATS[mime], **options)
            return out.getvalue()
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise ValidationError(_("This photo cannot be read."), code="bad_image") from None


def uploads_prepare(files) -> list[tuple[str, str, bytes]]:
    """Check and clean every upload before anything is written: a refused file must leave
    nothing behind. Returns (file name, content type, bytes) per file, photos without EXIF."""
    files = list(files or ())
    if len(files) > MAX_FILES:
        raise ValidationError(_("At most %(n)s files at a time.") % {"n": MAX_FILES})
    ready = []
    for upload in files:
        mime = attachment_check(upload)
        data = upload.read()
        if mime in IMAGE_FORMATS:
            data = _without_metadata(data, mime)
        elif mime == "image/heic":
            # Pillow cannot rewrite HEIC here; refuse rather than keep the GPS position.
            raise ValidationError(
                _("HEIC photos cannot be cleaned of their location data; send a JPEG."),
                code="heic",
            )
        ready.append((PurePath(upload.name).name[:150] or "bijlage", mime, data))
    return ready


def private_file_save(instance, *, mime: str, data: bytes) -> None:
    """Put checked bytes in ``instance.file`` (private storage, a random name) and save it."""
    instance.size = len(data)
    instance.content_type = mime
    instance.file.save(f"{ALLOWED_TYPES[mime]}", ContentFile(data), save=False)
    instance.save()


def attachments_store(*, message: Message, files) -> list[Attachment]:
    """Check and store ``files`` for ``message`` (inside the send's transaction)."""
    stored = []
    for name, mime, data in uploads_prepare(files):
        attachment = Attachment(message=message, original_name=name)
        private_file_save(attachment, mime=mime, data=data)
        stored.append(attachment)
    return stored
