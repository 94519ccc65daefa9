"""Exporting a conversation to the practice's HIS (terugkoppelen naar het HIS).

Who: practice staff with patient-data access, acting for the patient's own practice — nobody
else, not even a participant who may read the conversation (:func:`his_export_require`).
Refusals and every export or download are written to the access log (NEN 7513).

:func:`his_export_create` builds the SOEP note and the FHIR Communication once, from the
messages as they are now (``his.builders``), and stores them with a fresh idempotency key
(``his.services.his_export_store``, which also queues the delivery when the practice has a HIS
connection); later messages need a new export. Delivery, retries and the download of the note
are the HIS app's.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from conversations.models import Conversation
from his.builders import (
    ExportContent,
    ExportMessage,
    ExportOrganisation,
    ExportPatient,
    fhir_communication_build,
    soep_note_build,
)
from his.models import HisExport, icpc_code_normalise, validate_icpc_code
from his.selectors import his_exports_of, icpc_title_for
from his.services import his_export_store, his_note_file
from network.access import Actor, relationship_of, sees_own_practice_patients
from network.access_log import access_log_write
from network.models import AccessAction, AccessOutcome

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
            relationship=relationship_of(actor, conversation.patient),
            outcome=AccessOutcome.DENIED,
            patient=conversation.patient,
            object_ref=f"conversation:{conversation.pk}",
        )
    raise PermissionDenied


# --- Export -----------------------------------------------------------------------------------


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
        kind="Consultatie" if conversation.is_consultation else "Gesprek",
        number=conversation.pk,
        subject=conversation.subject,
        started_at=conversation.created_at,
        practice=ExportOrganisation.of(patient.practice),
        patient=ExportPatient.of(patient),
        participants=participants,
        messages=messages,
        icpc_code=icpc_code,
        icpc_title=icpc_title_for(patient=patient, code=icpc_code),
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
        source=conversation,
        patient=conversation.patient,
        key=key,
        note=note,
        resource=fhir_communication_build(content, note=note),
        icpc_code=icpc_code,
        data="conversation",
    )


def his_exports_for(*, conversation: Conversation, limit: int = 5) -> list[HisExport]:
    """The latest exports of a conversation, newest first (the page shows a few)."""
    exports = his_exports_of(model=Conversation, ids=[conversation.pk])
    return list(exports.select_related("requested_by")[:limit])


def his_export_file_get(*, actor: Actor, conversation: Conversation, pk) -> tuple[str, str]:
    """(file name, text) of an export's note, for own-practice staff; logged as an export.

    The text starts with who the note is about, so it is pasted into the right journal.
    """
    his_export_require(actor=actor, conversation=conversation)
    try:
        export = his_exports_of(model=Conversation, ids=[conversation.pk]).get(pk=pk)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return his_note_file(
        actor=actor, patient=conversation.patient, export=export, data="conversation", name="soep"
    )
