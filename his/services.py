"""Storing an export for the practice's HIS, and delivering it (terugkoppelen naar het HIS).

The app that exports something (a conversation, a partner's feedback) decides who may, and
builds the note and the FHIR resource once (``his.builders``). :func:`his_export_store` keeps
them with a fresh idempotency key, pointing at what was exported (``source``), and logs the
export of the patient's data (NEN 7513). What happens next depends on the practice:

- with an active :class:`HisEndpoint` the delivery task is queued after commit, and the export
  goes from ``pending`` to ``sent`` or ``failed``;
- without one nothing is queued: the export stays ``pending`` for good (never delivered
  electronically) and the page offers the note as a download (:func:`his_note_file`), which
  the user pastes into the patient's journal. The download is offered for every export, sent
  ones included.

:func:`his_export_deliver` is idempotent: it posts only a ``pending`` export, and sends the
same ``Idempotency-Key`` header (and FHIR identifier) on every attempt, so a HIS that dedupes
on it stores one note even when a timeout hid our first success. How answers are handled
(retried, sent, failed with the reason) is ``his.delivery``'s, shared with the delivery of
referrals; :func:`his_export_fail` marks an export failed when the task gives up. Messages
stored in ``last_error`` are shown to the user as they are; the task writes them under the
Dutch locale.
"""

from __future__ import annotations

import uuid

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from his.delivery import DeliveryTexts, deliver, give_up
from his.models import HisExport, validate_his_url
from his.selectors import his_endpoint_for
from network.access import Actor, relationship_of
from network.access_log import access_log_write
from network.models import AccessAction, DataCategory, Patient


def his_export_store(
    *,
    actor: Actor,
    source: models.Model,
    patient: Patient,
    key: uuid.UUID,
    note: str,
    resource: dict,
    icpc_code: str,
    data: str,
) -> HisExport:
    """Store one export of ``source`` (whose ``patient`` it is about; ``data`` names what it
    holds in the access log), log it as an export of the patient's data, and queue its delivery
    if the practice has a HIS connection. The caller has checked that ``actor`` may."""
    endpoint = his_endpoint_for(practice_id=patient.practice_id)
    with transaction.atomic():
        export = HisExport.objects.create(
            source=source,
            practice_id=patient.practice_id,
            requested_by=actor.user,
            icpc_code=icpc_code,
            note_text=note,
            fhir_json=resource,
            idempotency_key=key,
        )
        access_log_write(
            actor=actor,
            action=AccessAction.EXPORT,
            relationship=relationship_of(actor, patient),
            patient=patient,
            data=[data],
            object_ref=f"his_export:{export.pk}",
        )
        if endpoint is not None:
            from his.tasks import his_export_deliver_task

            transaction.on_commit(lambda: his_export_deliver_task.delay(export.pk))
    return export


def his_note_file(
    *, actor: Actor, patient: Patient, export: HisExport, data: str, name: str
) -> tuple[str, str]:
    """(file name, text) of an export's note to download; logged as an export. The text starts
    with who the note is about, so it is pasted into the right journal."""
    access_log_write(
        actor=actor,
        action=AccessAction.EXPORT,
        relationship=relationship_of(actor, patient),
        patient=patient,
        data=[DataCategory.IDENTITY, data],
        object_ref=f"his_export:{export.pk}",
    )
    header = " · ".join(
        p
        for p in (
            patient.formal_name,
            patient.birth_date.strftime("%d-%m-%Y"),
            f"HIS-nr. {patient.his_id}" if patient.his_id else "",
            f"BSN {patient.bsn}" if patient.bsn else "",
        )
        if p
    )
    created = timezone.localtime(export.created_at)
    return f"{name}-{created:%Y-%m-%d}.txt", f"Patiënt: {header}\n\n{export.note_text}"


# --- Delivery ---------------------------------------------------------------------------------

HIS_TEXTS = DeliveryTexts(
    bad_address=lambda: _("The practice's HIS address is not valid; the helpdesk can correct it."),
    refused=lambda reason: _("The HIS refused the note (%(reason)s).") % {"reason": reason},
    retrying=lambda reason: _("Not delivered yet (%(reason)s); trying again.") % {"reason": reason},
    gave_up=lambda attempts, reason: (
        _("The HIS did not take the note after %(attempts)d attempts (%(reason)s).")
        % {"attempts": attempts, "reason": reason}
    ),
)


def his_export_deliver(*, export_id: int) -> HisExport:
    """Deliver one export to its practice's HIS. Safe to repeat (see the module docstring)."""
    export = HisExport.objects.get(pk=export_id)
    if export.status != HisExport.Status.PENDING:
        return export  # sent, or given up: never post again
    endpoint = his_endpoint_for(practice_id=export.practice_id)
    if endpoint is None:
        return export  # the connection was switched off meanwhile: the download remains
    return deliver(export, endpoint=endpoint, validate_url=validate_his_url, texts=HIS_TEXTS)


def his_export_fail(*, export_id: int, reason: str) -> None:
    """The task gave up: mark a still-pending export failed, saying why."""
    give_up(HisExport, export_id, reason=reason, texts=HIS_TEXTS)
