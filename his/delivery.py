"""Delivering one stored FHIR resource to another system, safely repeatable.

Used for a note to the practice's HIS (``his.services``) and for a referral to the receiving
organisation's system (``referrals.delivery``). The record (a model with the fields of
:class:`his.models.FhirDelivery`) holds the resource exactly as it was built and an
idempotency key; :func:`deliver` posts it only while it is ``pending``, always with the same
``Idempotency-Key`` header, so a receiver that dedupes on it stores it once even when a timeout
hid our first success.

2xx → ``sent``; 5xx, 408, 429 and network errors raise :class:`DeliveryRetryable` (the Celery
task retries with backoff and calls :func:`give_up` at the end); any other answer — other 4xx,
or a redirect, which is never followed — → ``failed`` at once, with the status and the start of
the answer as the reason. Reasons are stored for the user to read, in the active language (the
tasks run under Dutch).
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import override

TIMEOUT_SECONDS = 10
REASON_MAX_CHARS = 200
# A receiver that is busy or briefly away answers these; trying again later may well work.
RETRYABLE_STATUSES = {408, 429}


# sender: the record's model; pk: the record that has just failed.
delivery_failed = Signal()


def _failed(model, pk, changed: int) -> None:
    if changed:
        transaction.on_commit(lambda: delivery_failed.send(sender=model, pk=pk))


class DeliveryRetryable(Exception):
    """The receiver did not take it this time (5xx, timeout, network); try again later."""


# For every delivery task: retries wait up to 30 s, 1, 2, 4, 8 and 10 minutes (jittered), so a
# system that is away for a restart or a short maintenance window still gets it; 1 s would
# give up in about a minute. The message is acknowledged only after the task ran.
DELIVERY_TASK_OPTIONS = {
    "bind": True,
    "autoretry_for": (DeliveryRetryable,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 6,
    "acks_late": True,
}


@dataclasses.dataclass(frozen=True)
class DeliveryTexts:
    """What the user reads about a delivery, each a callable giving the translated text (the
    reason or attempts filled in), so the words fit what is delivered to whom."""

    bad_address: Callable[[], str]
    refused: Callable[[str], str]  # (reason) -> text
    retrying: Callable[[str], str]  # (reason) -> text
    gave_up: Callable[[int, str], str]  # (attempts, reason) -> text


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend the resource as a GET without a body: treat it as an answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fhir_post(*, url: str, token: str, resource: dict, key) -> tuple[int, str]:
    """POST the resource; (HTTP status, start of the body for a non-2xx answer)."""
    request = urllib.request.Request(  # noqa: S310 (the address is validated: https only)
        url,
        data=json.dumps(resource, ensure_ascii=False).encode(),
        method="POST",
        headers={
            "Content-Type": "application/fhir+json",
            "Accept": "application/fhir+json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": str(key),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as answer:
        with answer:
            try:
                body = answer.read(4 * REASON_MAX_CHARS).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                body = ""
        return answer.code, body


def answer_reason(status: int, body: str) -> str:
    text = " ".join(body.split())[:REASON_MAX_CHARS]
    return f"HTTP {status}: {text}" if text else f"HTTP {status}"


def deliver(record, *, endpoint, validate_url, texts: DeliveryTexts):
    """Post ``record.fhir_json`` to ``endpoint`` (url, token) once; see the module docstring.
    ``record`` is a fresh instance; the status moves only from ``pending``."""
    model = type(record)
    pending = model.objects.filter(pk=record.pk, status="pending")
    try:
        validate_url(endpoint.url)
    except ValidationError:
        _failed(model, record.pk, pending.update(status="failed", last_error=texts.bad_address()))
        record.refresh_from_db()
        return record
    pending.update(attempts=F("attempts") + 1)
    try:
        status, body = fhir_post(
            url=endpoint.url,
            token=endpoint.token,
            resource=record.fhir_json,
            key=record.idempotency_key,
        )
    except (OSError, http.client.HTTPException) as exc:
        reason = str(getattr(exc, "reason", exc)) or type(exc).__name__
        pending.update(last_error=texts.retrying(reason))
        raise DeliveryRetryable(reason) from exc
    if 200 <= status < 300:
        pending.update(status="sent", sent_at=timezone.now(), last_error="")
    elif status >= 500 or status in RETRYABLE_STATUSES:
        reason = answer_reason(status, body)
        pending.update(last_error=texts.retrying(reason))
        raise DeliveryRetryable(reason)
    else:
        reason = texts.refused(answer_reason(status, body))
        _failed(model, record.pk, pending.update(status="failed", last_error=reason))
    record.refresh_from_db()
    return record


def give_up(model, pk, *, reason: str, texts: DeliveryTexts) -> None:
    """The task used up its retries: mark a still-pending delivery failed, saying why."""
    record = model.objects.get(pk=pk)
    changed = model.objects.filter(pk=pk, status="pending").update(
        status="failed", last_error=texts.gave_up(record.attempts, reason)
    )
    _failed(model, pk, changed)


def run_delivery_task(task, deliver_one, fail, pk: int) -> str:
    """The body of a delivery task: deliver under the Dutch locale (the stored reasons are read
    by Dutch users); on a retryable failure with the retries used up, mark it failed, and raise
    so Celery retries (or records the end)."""
    with override("nl"):
        try:
            return deliver_one(pk).status
        except DeliveryRetryable as exc:
            if task.request.retries >= task.max_retries:
                fail(pk, str(exc))
            raise
