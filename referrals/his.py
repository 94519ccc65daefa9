"""Feedback on a referral, reported back to the practice's HIS (*terugkoppelen naar het HIS*).

The same export as for conversations (``his.services``): a SOEP note and a FHIR R4
Communication, stored as a ``HisExport`` of the feedback and delivered by the same Celery task
with its idempotency key, or downloaded when the practice has no HIS connection. The note
follows SOEP more closely than a conversation can: the partner's findings are O, the conclusion
E, the plan, sessions and advice P.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from his.builders import (
    ExportAuthor,
    ExportContent,
    ExportMessage,
    ExportOrganisation,
    ExportPatient,
    ExportProfessional,
    fhir_communication_build,
)
from his.models import HisExport, icpc_code_normalise, validate_icpc_code
from his.selectors import his_exports_of, icpc_title_for
from his.services import his_export_store, his_note_file
from network.access import Actor
from referrals.fhir import service_request_identifier
from referrals.models import Feedback, Referral
from referrals.states import Party, parties_of

INDENT = "  "


def _require_practice(actor: Actor, referral: Referral) -> None:
    if Party.SENDER not in parties_of(actor, referral):
        raise PermissionDenied


def _lines(text: str) -> list[str]:
    return [f"{INDENT}{line.rstrip()}" for line in (text or "").splitlines() if line.strip()]


def _evaluation(feedback: Feedback, icpc_code: str, icpc_title: str) -> tuple[str, list[str]]:
    """(the E line, the lines under it). With a code, the line names it with its title: the
    patient's episode title from the HIS, else the conclusion's first line (then not repeated
    below), so a GP never reads a bare code."""
    conclusion = _lines(feedback.conclusion)
    if icpc_code and not icpc_title and conclusion:
        icpc_title, conclusion = _conclusion_title(feedback), conclusion[1:]
    line = "E: " + (" ".join(p for p in (icpc_code, icpc_title) if p) or "-")
    return line, conclusion


def _conclusion_title(feedback: Feedback) -> str:
    conclusion = _lines(feedback.conclusion)
    return conclusion[0].strip() if conclusion else ""


def feedback_note_build(feedback: Feedback, *, icpc_code: str = "", icpc_title: str = "") -> str:
    referral = feedback.referral
    evaluation, conclusion = _evaluation(feedback, icpc_code, icpc_title)
    at = timezone.localtime(feedback.created_at).strftime("%d-%m-%Y")
    lines = [
        f"S: Terugkoppeling ({feedback.get_kind_display()}) van {feedback.organisation.name}, "
        f"{feedback.author.full_name}, {at}",
        f"{INDENT}Verwijzing van {timezone.localtime(referral.created_at):%d-%m-%Y}:",
        *_lines(referral.question),
        "O:" + ("" if feedback.findings else " -"),
        *_lines(feedback.findings),
        evaluation,
        *conclusion,
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


def _feedback_text(feedback: Feedback) -> str:
    """The feedback itself, for the Communication's payload (the note carries the SOEP form)."""
    parts = [
        ("Bevindingen", feedback.findings),
        ("Conclusie", feedback.conclusion),
        ("Behandelplan en doelen", feedback.treatment_plan),
        ("Aantal behandelingen", "" if feedback.sessions is None else str(feedback.sessions)),
        ("Advies aan de huisarts", feedback.advice),
    ]
    return "\n".join(f"{label}: {text.strip()}" for label, text in parts if text.strip())


def _content(
    feedback: Feedback, *, key: uuid.UUID, icpc_code: str, icpc_title: str
) -> ExportContent:
    referral = feedback.referral
    patient = referral.patient
    return ExportContent(
        key=key,
        created_at=timezone.now(),
        # The Communication does not read these (the note is built by feedback_note_build).
        kind="Terugkoppeling",
        number=referral.pk,
        subject=f"Terugkoppeling verwijzing naar {referral.to_organisation.name}",
        started_at=feedback.created_at,
        practice=ExportOrganisation.of(referral.practice),
        patient=ExportPatient.of(patient),
        participants=((feedback.author.full_name, feedback.organisation.name),),
        messages=(
            ExportMessage(
                at=feedback.created_at,
                author=feedback.author.full_name,
                organisation=feedback.organisation.name,
                body=_feedback_text(feedback),
            ),
        ),
        icpc_code=icpc_code,
        icpc_title=icpc_title,
        # Written by the nurse for her organisation, to the practice, on the referral.
        author=ExportAuthor(
            professional=ExportProfessional.of(feedback.author),
            organisation=ExportOrganisation.of(feedback.organisation),
        ),
        based_on={
            "type": "ServiceRequest",
            "identifier": service_request_identifier(referral),
            "display": f"Verwijzing naar {referral.to_organisation.name}",
        },
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
    icpc_title = icpc_title_for(patient=referral.patient, code=icpc_code)
    note = feedback_note_build(feedback, icpc_code=icpc_code, icpc_title=icpc_title)
    return his_export_store(
        actor=actor,
        source=feedback,
        patient=referral.patient,
        key=key,
        note=note,
        resource=fhir_communication_build(
            _content(
                feedback,
                key=key,
                icpc_code=icpc_code,
                icpc_title=icpc_title or (_conclusion_title(feedback) if icpc_code else ""),
            ),
            note=note,
        ),
        icpc_code=icpc_code,
        data="referral_feedback",
    )


def feedback_his_export_file_get(*, actor: Actor, referral: Referral, pk) -> tuple[str, str]:
    """(file name, text) of a feedback export's note, for the practice; logged as an export."""
    _require_practice(actor, referral)
    try:
        feedback = Feedback.objects.filter(referral=referral).values("pk")
        export = his_exports_of(model=Feedback, ids=feedback).get(pk=pk)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return his_note_file(
        actor=actor,
        patient=referral.patient,
        export=export,
        data="referral_feedback",
        name="terugkoppeling",
    )
