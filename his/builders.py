"""An export for the HIS: a SOEP journal note and a FHIR Communication.

Pure functions over an :class:`ExportContent`, no database: the app that exports something (a
conversation, a partner's feedback) gathers what it says into one, so the note and the resource
never read its tables. The note is always Dutch, whatever language the user reads the site in:
it goes into a Dutch patient record, and a GP should recognise it as an ordinary SOEP entry (S:
what was asked and answered, O/E/P kept short). The FHIR resource carries the same messages and
is validated with ``fhir.resources`` (its R4B models read R4 for Communication), so we never
send something a HIS cannot parse.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.utils import timezone
from fhir.resources.R4B.communication import Communication

from his.fhir import AGB_SYSTEM, URI_SYSTEM, icpc_coding, patient_identifiers

# Continuation lines of S are indented, so the HIS shows one S block.
INDENT = "   "


@dataclass(frozen=True)
class ExportPatient:
    formal_name: str
    birth_date: datetime.date
    bsn: str = ""
    his_id: str = ""

    @classmethod
    def of(cls, patient) -> ExportPatient:
        return cls(
            formal_name=patient.formal_name,
            birth_date=patient.birth_date,
            bsn=patient.bsn,
            his_id=patient.his_id,
        )


@dataclass(frozen=True)
class ExportMessage:
    at: datetime.datetime
    author: str
    organisation: str
    body: str
    attachments: int = 0


@dataclass(frozen=True)
class ExportContent:
    """Everything one export says, gathered by the service of the app that exports.

    ``kind`` names what is exported in the note ("Gesprek", "Consultatie"), ``number`` is its
    number in Regiozorg, so the GP can find it back."""

    key: uuid.UUID
    created_at: datetime.datetime
    kind: str
    number: int
    subject: str
    started_at: datetime.datetime
    practice_name: str
    practice_agb: str
    patient: ExportPatient
    participants: tuple[tuple[str, str], ...]  # (name, organisation)
    messages: tuple[ExportMessage, ...]
    icpc_code: str = ""
    icpc_title: str = ""


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def _date(moment: datetime.datetime) -> str:
    return _local(moment).strftime("%d-%m-%Y")


def _date_time(moment: datetime.datetime) -> str:
    return _local(moment).strftime("%d-%m-%Y %H:%M")


def _period(content: ExportContent) -> str:
    first = _date(content.started_at)
    last = _date(content.messages[-1].at) if content.messages else first
    return first if first == last else f"{first} t/m {last}"


def _attachments(count: int) -> str:
    if not count:
        return ""
    return " [1 bijlage in Regiozorg]" if count == 1 else f" [{count} bijlagen in Regiozorg]"


def _diagnosis(content: ExportContent) -> str:
    return " ".join(p for p in (content.icpc_code, content.icpc_title) if p) or "-"


def soep_note_build(content: ExportContent) -> str:
    """The journal note of a thread of messages (a conversation, a consultation): S holds the
    messages in order; O, E and P stay short."""
    participants = "; ".join(f"{name} ({org})" for name, org in content.participants)
    kind = content.kind
    lines = [
        f"S: {kind} in Regiozorg: {content.subject}",
        f"{INDENT}Datum: {_period(content)}",
        f"{INDENT}Deelnemers: {participants or '-'}",
    ]
    for message in content.messages:
        lines.append(
            f"{INDENT}{_date_time(message.at)} {message.author} ({message.organisation}):"
            f"{_attachments(message.attachments)}"
        )
        # No blank lines inside S: some HISes end the S block at one.
        lines += [
            f"{INDENT * 2}{line.rstrip()}" for line in message.body.splitlines() if line.strip()
        ]
    lines += [
        "O: -",
        f"E: {_diagnosis(content)}",
        f"P: zie {kind.lower()} in Regiozorg (nr. {content.number})",
    ]
    return "\n".join(lines) + "\n"


def fhir_communication_build(content: ExportContent, *, note: str) -> dict:
    """A FHIR R4 Communication (JSON dict) of the export, validated before it is returned.

    The patient is named by BSN and HIS number in a contained Patient (a reference holds one
    identifier; the HIS matches on whichever it knows); ``identifier`` is the export's
    idempotency key, so a resent Communication is recognisably the same one.
    """
    patient = content.patient
    identifiers = patient_identifiers(bsn=patient.bsn, his_id=patient.his_id)
    contained_patient = {
        "resourceType": "Patient",
        "id": "patient",
        "name": [{"text": patient.formal_name}],
        "birthDate": patient.birth_date.isoformat(),
    }
    subject = {"reference": "#patient", "display": patient.formal_name}
    if identifiers:
        contained_patient["identifier"] = identifiers
        subject["identifier"] = identifiers[0]
    sender = {"display": content.practice_name}
    if content.practice_agb:
        sender["identifier"] = {"system": AGB_SYSTEM, "value": content.practice_agb}
    resource = {
        "resourceType": "Communication",
        "contained": [contained_patient],
        "identifier": [{"system": URI_SYSTEM, "value": f"urn:uuid:{content.key}"}],
        "status": "completed",
        "subject": subject,
        "topic": {"text": content.subject},
        "sent": _local(content.created_at).isoformat(timespec="seconds"),
        "sender": sender,
        "note": [{"text": note}],
    }
    if content.icpc_code:
        coding = icpc_coding(content.icpc_code, content.icpc_title or None)
        resource["reasonCode"] = [{"coding": [coding], "text": _diagnosis(content)}]
    if content.messages:
        resource["payload"] = [
            {
                "contentString": f"{_date_time(m.at)} {m.author} ({m.organisation}): "
                f"{m.body.strip()}{_attachments(m.attachments)}"
            }
            for m in content.messages
        ]
    Communication.model_validate(resource)  # raises if we built something invalid
    return resource
