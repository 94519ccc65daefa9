"""Outgoing e-mail: rendered in the request, sent by a Celery task after commit."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction


def email_serialize(message: EmailMessage) -> dict:
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "headers": {"Message-ID": make_msgid(domain="regiozorg.nl"), **message.extra_headers},
    }


def email_deserialize(payload: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload["cc"],
        bcc=payload["bcc"],
        reply_to=payload["reply_to"],
        headers=payload["headers"],
    )
    for content, mimetype in payload["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


def email_queue(message: EmailMessage) -> str:
    """Send ``message`` from a worker once the current transaction commits.

    Returns the Message-ID, which also makes the task idempotent: a retried task that already
    sent this message does not send it again.
    """
    from accounts.tasks import send_email_task

    payload = email_serialize(message)
    transaction.on_commit(lambda: send_email_task.delay(payload))
    return payload["headers"]["Message-ID"]
