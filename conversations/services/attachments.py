"""A message's attachments: photos and PDFs checked and stored by ``files.services``."""

from __future__ import annotations

from conversations.models import Attachment, Message
from files.services import private_file_save, uploads_prepare


def attachments_store(*, message: Message, files) -> list[Attachment]:
    """Check and store ``files`` for ``message`` (inside the send's transaction)."""
    stored = []
    for name, mime, data in uploads_prepare(files):
        attachment = Attachment(message=message, original_name=name)
        private_file_save(attachment, mime=mime, data=data)
        stored.append(attachment)
    return stored
