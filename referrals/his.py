"""Feedback on a referral, reported back to the practice's HIS (*terugkoppelen naar het HIS*).

The same export as for conversations (``conversations.services.his``): a SOEP note and a FHIR
R4 Communication, stored as a ``HisExport`` and delivered by the same Celery task with its
idempotency key, or downloaded when the practice has no HIS connection. The note follows SOEP
more closely than a conversation can: the partner's findings are O, the conclusion E, the
plan, sessions and advice P.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from conversations.his_export import (
    ExportContent,
    ExportMessage,
    ExportPatient,
    fhir_communication_build,
)
from conversations.his_models import HisExport, icpc_code_normalise, validate_icpc_code
from conversations.services.his import his_endpoint_for
from network.access import Actor
from network.access_log import access_log_write
from network.models import AccessAction, AccessRelationship, DataCategory
from referrals.models import Feedback, Referral
from referrals.states import Party, parties_of

INDENT = "  "


def _require_practice(actor: Actor, referral: Referral) -> None:
    if Party.SENDER not in parties_of(actor, referral):
        raise PermissionDenied


def _lines(text: str) -> list[str]:
    return [f"{INDENT}{line.rstrip()}" for line in (text or "").splitlines() if line.strip()]


def feedback_note_build(feedback: Feedback, *, icpc_code: str = "", icpc_title: str = "") -> str:
    referral = feedback.referral
    at = timezone.localtime(feedback.created_at).strftime("%d-%m-%Y")
    lines = [
        f"S: Terugkoppeling ({feedback.get_kind_display()}) van {feedback.organisation.name}, "
        f"{feedback.author.full_name}, {at}",
        f"{INDENT}Verwijzing van {timezone.localtime(referral.created_at):%d-%m-%Y}:",
        *_lines(referral.question),
        "O:" + ("" if feedback.findings else " -"),
        *_lines(feedback.findings),
        "E: " + (" ".join(p for p in (icpc_code, icpc_title) if p) or "-"),
        *_lines(feedback.conclusion),
        "P:",
        *_lines(feedback.treatment_plan),
    ]
    if feedback.sessions is not None:
        lines.append(f"{INDENT}Aantal behandelingen: {feedback.sessions}")
    if feedback.advice:
        lines.append(f"{INDENT}Advies aan de huisarts:")
        lines += [f"{INDENT}{line}" for line in _lines(feedback.advice)]
    lines.append(f"{INDENT}Zie verwijzing in Regiozorg (nr. {referral.pk})")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _content(feedback: Feedback, *, key: uuid.UUID, icpc_code: str) -> ExportContent:
    referral = feedback.referral
    patient = referral.patient
    return ExportContent(
        key=key,
        created_at=timezone.now(),
        conversation_id=referral.pk,
        subject=f"Terugkoppeling verwijzing naar {referral.to_organisation.name}",
        started_at=feedback.created_at,
        practice_name=referral.practice.name,
        practice_agb=referral.practice.agb_code,
        patient=ExportPatient(
            formal_name=patient.formal_name,
            birth_date=patient.birth_date,
            bsn=patient.bsn,
            his_id=patient.his_id,
        ),
        participants=((feedback.author.full_name, feedback.organisation.name),),
        messages=(
            ExportMessage(
                at=feedback.created_at,
                author=feedback.author.full_name,
                organisation=feedback.organisation.name,
                body=feedback_note_build(feedback, icpc_code=icpc_code),
            ),
        ),
        icpc_code=icpc_code,
    )


def feedback_his_export_create(
    *, actor: Actor, feedback: Feedback, icpc_code: str = ""
) -> HisExport:
    """Store an export of one feedback and queue its delivery if the HIS is connected."""
    referral = feedback.referral
    _require_practice(actor, referral)
    icpc_code = icpc_code_normalise(icpc_code)
    validate_icpc_code(icpc_code)
    key = uuid.uuid4()
    note = feedback_note_build(feedback, icpc_code=icpc_code)
    resource = fhir_communication_build(_content(feedback, key=key, icpc_code=icpc_code), note=note)
    endpoint = his_endpoint_for(practice_id=referral.practice_id)
    with transaction.atomic():
        export = HisExport.objects.create(
            feedback=feedback,
            practice_id=referral.practice_id,
            requested_by=actor.user,
            icpc_code=icpc_code,
            note_text=note,
            fhir_json=resource,
            idempotency_key=key,
        )
        access_log_write(
            actor=actor,
            action=AccessAction.EXPORT,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient=referral.patient,
            data=["referral_feedback"],
            object_ref=f"his_export:{export.pk}",
        )
        if endpoint is not None:
            from conversations.tasks import his_export_deliver_task

            transaction.on_commit(lambda: his_export_deliver_task.delay(export.pk))
    return export


def feedback_his_export_file_get(*, actor: Actor, referral: Referral, pk) -> tuple[str, str]:
    """(file name, text) of a feedback export's note, for the practice; logged as an export."""
    _require_practice(actor, referral)
    try:
        export = HisExport.objects.get(pk=pk, feedback__referral=referral)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    patient = referral.patient
    access_log_write(
        actor=actor,
        action=AccessAction.EXPORT,
        relationship=AccessRelationship.OWN_PRACTICE,
        patient=patient,
        data=[DataCategory.IDENTITY, "referral_feedback"],
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
    return f"terugkoppeling-{created:%Y-%m-%d}.txt", f"Patiënt: {header}\n\n{export.note_text}"
