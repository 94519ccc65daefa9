"""Exporting a conversation to the practice's HIS (terugkoppelen naar het HIS).

Who: practice staff with patient-data access, acting for the patient's own practice — nobody
else, not even a participant who may read the conversation (:func:`his_export_require`).
Refusals and every export or download are written to the access log (NEN 7513).

:func:`his_export_create` builds the SOEP note and the FHIR Communication once, from the
messages as they are now, and stores them with a fresh idempotency key; later messages need a
new export. What happens next depends on the practice:

- with an active :class:`HisEndpoint` the delivery task is queued after commit, and the export
  goes from ``pending`` to ``sent`` or ``failed``;
- without one nothing is queued: the export stays ``pending`` for good (never delivered
  electronically) and the page offers the note as a download, which the user pastes into the
  patient's journal. The download is offered for every export, sent ones included.

:func:`his_export_deliver` is idempotent: it posts only a ``pending`` export, and sends the
same ``Idempotency-Key`` header (and FHIR identifier) on every attempt, so a HIS that dedupes
on it stores one note even when a timeout hid our first success. How answers are handled
(retried, sent, failed with the reason) is ``regiozorg.fhir_delivery``'s, shared with the
delivery of referrals; :func:`his_export_fail` marks an export failed when the task gives up.
Messages stored in ``last_error`` are shown to the user as they are; the task writes them
under the Dutch locale.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.his_export import (
    ExportContent,
    ExportMessage,
    ExportPatient,
    fhir_communication_build,
    soep_note_build,
)
from conversations.his_models import (
    HisEndpoint,
    HisExport,
    icpc_code_normalise,
    validate_his_url,
    validate_icpc_code,
)
from conversations.models import Conversation
from network.access import Actor, sees_own_practice_patients
from network.access_log import access_log_write
from network.models import AccessAction, AccessOutcome, AccessRelationship, DataCategory
from regiozorg.fhir_delivery import DeliveryTexts, deliver, give_up

# --- Who may ----------------------------------------------------------------------------------


def can_export_to_his(*, actor: Actor, conversation: Conversation) -> bool:
    """Own-practice staff with patient-data access, for a conversation about their patient."""
    return (
        conversation.patient_id is not None
        and sees_own_practice_patients(actor)
        and actor.membership.organisation_id == conversation.patient.practice_id
    )


def his_export_require(*, actor: Actor, conversation: Conversation) -> None:
    """PermissionDenied (logged as a refused export) unless ``actor`` may export."""
    if can_export_to_his(actor=actor, conversation=conversation):
        return
    if conversation.patient_id is not None:
        access_log_write(
            actor=actor,
            action=AccessAction.EXPORT,
            relationship=AccessRelationship.CARE_NETWORK,
            outcome=AccessOutcome.DENIED,
            patient=conversation.patient,
            object_ref=f"conversation:{conversation.pk}",
        )
    raise PermissionDenied


def his_endpoint_for(*, practice_id: int) -> HisEndpoint | None:
    return HisEndpoint.objects.filter(practice_id=practice_id, is_active=True).first()


# --- Export -----------------------------------------------------------------------------------


def _icpc_title(conversation: Conversation, code: str) -> str:
    """The title the practice's own HIS gave this code for this patient (its episode list)."""
    if not code:
        return ""
    base = code.split(".", 1)[0]
    rows = list(
        conversation.patient.episodes.filter(icpc_code__in={code, base})
        .order_by("status", "-start_date", "pk")
        .values_list("icpc_code", "title")
    )
    for wanted in (code, base):
        for row_code, title in rows:
            if row_code == wanted:
                return title
    return ""


def _content(conversation: Conversation, *, key: uuid.UUID, icpc_code: str) -> ExportContent:
    patient = conversation.patient
    participants = tuple(
        (p.user.full_name if p.user_id else p.inbox.name, p.organisation.name)
        for p in conversation.participants.select_related("user", "inbox", "organisation").order_by(
            "joined_at", "pk"
        )
    )
    messages = tuple(
        ExportMessage(
            at=m.created_at,
            author=m.author.full_name,
            organisation=m.author_organisation.name,
            body=m.body,
            attachments=m.attachment_count,
        )
        for m in conversation.messages.select_related("author", "author_organisation")
        .annotate(attachment_count=Count("attachments"))
        .order_by("id")
    )
    return ExportContent(
        key=key,
        created_at=timezone.now(),
        conversation_id=conversation.pk,
        subject=conversation.subject,
        started_at=conversation.created_at,
        practice_name=patient.practice.name,
        practice_agb=patient.practice.agb_code,
        patient=ExportPatient.of(patient),
        participants=participants,
        messages=messages,
        is_consultation=conversation.is_consultation,
        icpc_code=icpc_code,
        icpc_title=_icpc_title(conversation, icpc_code),
    )


def his_export_create(
    *, actor: Actor, conversation: Conversation, icpc_code: str = ""
) -> HisExport:
    """Store an export of ``conversation`` and, if the practice has a HIS connection, queue it.

    Raises PermissionDenied for anyone but own-practice staff, ValidationError for a malformed
    ICPC code. Logged as an export of the patient's data.
    """
    his_export_require(actor=actor, conversation=conversation)
    icpc_code = icpc_code_normalise(icpc_code)
    validate_icpc_code(icpc_code)
    key = uuid.uuid4()
    content = _content(conversation, key=key, icpc_code=icpc_code)
    note = soep_note_build(content)
    return his_export_store(
        actor=actor,
        patient=conversation.patient,
        key=key,
        note=note,
        resource=fhir_communication_build(content, note=note),
        icpc_code=icpc_code,
        data="conversation",
        conversation=conversation,
    )


def his_export_store(
    *, actor: Actor, patient, key, note: str, resource: dict, icpc_code: str, data: str, **what
) -> HisExport:
    """Store one export — of a conversation or of referral feedback (``what``) — log it as an
    export of the patient's data, and queue its delivery if the practice has a HIS connection."""
    endpoint = his_endpoint_for(practice_id=patient.practice_id)
    with transaction.atomic():
        export = HisExport.objects.create(
            practice_id=patient.practice_id,
            requested_by=actor.user,
            icpc_code=icpc_code,
            note_text=note,
            fhir_json=resource,
            idempotency_key=key,
            **what,
        )
        access_log_write(
            actor=actor,
            action=AccessAction.EXPORT,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient=patient,
            data=[data],
            object_ref=f"his_export:{export.pk}",
        )
        if endpoint is not None:
            from conversations.tasks import his_export_deliver_task

            transaction.on_commit(lambda: his_export_deliver_task.delay(export.pk))
    return export


def his_exports_for(*, conversation: Conversation, limit: int = 5) -> list[HisExport]:
    """The latest exports of a conversation, newest first (the page shows a few)."""
    return list(conversation.his_exports.select_related("requested_by")[:limit])


def his_export_file_get(*, actor: Actor, conversation: Conversation, pk) -> tuple[str, str]:
    """(file name, text) of an export's note, for own-practice staff; logged as an export.

    The text starts with who the note is about, so it is pasted into the right journal.
    """
    his_export_require(actor=actor, conversation=conversation)
    try:
        export = conversation.his_exports.get(pk=pk)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return his_note_file(
        actor=actor, patient=conversation.patient, export=export, data="conversation", name="soep"
    )


def his_note_file(*, actor: Actor, patient, export: HisExport, data: str, name: str):
    """(file name, text) of an export's note to download; logged as an export. The text starts
    with who the note is about, so it is pasted into the right journal."""
    access_log_write(
        actor=actor,
        action=AccessAction.EXPORT,
        relationship=AccessRelationship.OWN_PRACTICE,
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
