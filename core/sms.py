"""Text messages (SMS), through a pluggable backend: no provider is hard-wired.

``SMS_BACKEND`` names a class with ``send(*, to: str, body: str) -> None`` that raises
:class:`SmsError` (or ``OSError``) when the message did not go out; the Celery task retries it.
Shipped: :class:`ConsoleSmsBackend` (the default: the message on standard output, like the
e-mail console backend) and :class:`LocmemSmsBackend` (tests: ``core.sms.outbox``). A provider
(MessageBird, CM.com, Spryng …) is a small class of the installation's own, named in
``SMS_BACKEND``; it gets its credentials from its own settings.

:func:`sms_queue` sends after the current transaction commits, through
``core.tasks.send_sms_task``, which sends each message once however often it is retried.
"""

from __future__ import annotations

import re
import sys
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

# A Dutch mobile number (06…) or an international one (+…, 00…); a text message needs a mobile.
MOBILE = re.compile(r"^(\+|00)[1-9][0-9]{7,14}$|^06[0-9]{8}$")


def mobile_clean(value: str) -> str:
    """A mobile number as typed (spaces, dashes, brackets allowed) → digits, or a Dutch
    ``ValidationError``; empty stays empty."""
    phone = re.sub(r"[\s\-().]", "", value or "")
    if phone and not MOBILE.match(phone):
        raise ValidationError(
            _("Enter a mobile number, for example 06 12345678 or +32 470 12 34 56.")
        )
    return phone


def mobile_of_record(phone: str) -> str:
    """The record's phone number if it is a Dutch mobile (to prefill a text message), else ''."""
    digits = "".join(c for c in phone or "" if c.isdigit() or c == "+")
    return digits if digits.startswith(("06", "+316", "00316")) and MOBILE.match(digits) else ""


class SmsError(Exception):
    """The backend could not send the message (try again later)."""


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


# What LocmemSmsBackend "sent" in this process (tests read and clear it).
outbox: list[Sms] = []


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"--- SMS to {to} ---\n{body}\n---\n")
        sys.stdout.flush()


class LocmemSmsBackend:
    def send(self, *, to: str, body: str) -> None:
        outbox.append(Sms(to=to, body=body))


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def sms_international(phone: str) -> str:
    """A Dutch number as E.164 (``06-12345678`` → ``+31612345678``); others as given."""
    digits = "".join(c for c in phone if c.isdigit() or c == "+")
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+31" + digits[1:]
    return digits


def sms_queue(*, to: str, body: str) -> str:
    """Send ``body`` to ``to`` once the current transaction commits; returns the message id."""
    from core.tasks import send_sms_task

    message_id = uuid.uuid4().hex
    payload = {"id": message_id, "to": sms_international(to), "body": body}
    transaction.on_commit(lambda: send_sms_task.delay(payload))
    return message_id
