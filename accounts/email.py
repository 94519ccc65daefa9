"""Outgoing e-mail: rendered in the request, sent by a Celery task after commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from core.site import site_url


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


def email_compose(
    *,
    to: list[str],
    template: str,
    context: dict,
    language: str | None = None,
    reply_to: list[str] | None = None,
) -> EmailMultiAlternatives:
    """Render ``{template}_subject.txt``, ``{template}.txt`` and ``{template}.html``.

    Rendered in the recipient's language (Dutch unless known otherwise). Our e-mails never
    carry medical data: they say that something happened and link to the platform.
    """
    context = {
        "SITE_URL": site_url(),
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "SUPPORT_ORGANISATION": settings.SUPPORT_ORGANISATION,
        **context,
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{template}.txt", context),
            to=to,
            reply_to=reply_to or [],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def email_send(**kwargs) -> str:
    """Compose (see :func:`email_compose`) and queue for sending after commit."""
    return email_queue(email_compose(**kwargs))
