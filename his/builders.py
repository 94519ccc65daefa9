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

import dataclasses
import datetime
import uuid
from dataclasses import dataclass

from django.utils import timezone
from fhir.resources.R4B.communication import Communication

from his.fhir import (
    URI_SYSTEM,
    icpc_coding,
    organization_resource,
    own_identifier,
    patient_resource,
    practitioner_resource,
    practitioner_role_resource,
)

# Continuation lines of S are indented, so the HIS shows one S block.
INDENT = "   "


class _Copied:
    """A frozen copy of a model instance's fields of the same names: what the export needs,
    taken while the row is at hand, so building the FHIR later reads no database."""

    @classmethod
    def of(cls, instance):
        return cls(**{f.name: getattr(instance, f.name) for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class ExportPatient(_Copied):
    formal_name: str
    birth_date: datetime.date
    surname: str
    uuid: uuid.UUID
    bsn: str = ""
    his_id: str = ""
    initials: str = ""
    first_name: str = ""
    infix: str = ""
    gender: str = "unknown"


@dataclass(frozen=True)
class ExportOrganisation(_Copied):
    """An organisation as the export names it (``organization_resource`` reads these)."""

    name: str
    uuid: uuid.UUID
    agb_code: str = ""
    ura_number: str = ""
    is_active: bool = True
    phone: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class ExportProfessional(_Copied):
    """A care provider as the export names them (``practitioner_resource`` reads these)."""

    full_name: str
    last_name: str
    uuid: uuid.UUID
    initials: str = ""
    first_name: str = ""
    infix: str = ""
    agb_code: str = ""
    uzi_number: str = ""


@dataclass(frozen=True)
class ExportAuthor:
    """Who wrote what is exported, for the organisation they worked for (a PractitionerRole)."""

    professional: ExportProfessional
    organisation: ExportOrganisation


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
    number in Regiozorg, so the GP can find it back. ``based_on`` is a Reference by identifier
    (``{"type": "ServiceRequest", "identifier": …}``)."""

    key: uuid.UUID
    created_at: datetime.datetime
    kind: str
    number: int
    subject: str
    started_at: datetime.datetime
    practice: ExportOrganisation
    patient: ExportPatient
    participants: tuple[tuple[str, str], ...]  # (name, organisation)
    messages: tuple[ExportMessage, ...]
    icpc_code: str = ""
    icpc_title: str = ""
    # Feedback on a referral: written by someone of the receiving organisation, sent to the
    # practice, based on the referral's ServiceRequest (its business identifier).
    author: ExportAuthor | None = None
    based_on: dict | None = None


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


def _contained_parties(content: ExportContent) -> tuple[list[dict], dict, list[dict]]:
    """(contained resources, sender, recipients): the practice alone when it exports its own
    conversation; the author (PractitionerRole with Practitioner and Organization) as sender
    and the practice as recipient when feedback of a partner is exported."""
    practice = organization_resource(content.practice, "practice")
    practice_ref = {"reference": "#practice", "display": content.practice.name}
    if content.author is None:
        return [practice], practice_ref, []
    person, organisation = content.author.professional, content.author.organisation
    role = practitioner_role_resource(
        person,
        organisation,
        practitioner={"reference": "#author", "display": person.full_name},
        organization={"reference": "#author-organization", "display": organisation.name},
        local_id="author-role",
    )
    contained = [
        practitioner_resource(person, "author"),
        organization_resource(organisation, "author-organization"),
        role,
        practice,
    ]
    sender = {
        "reference": "#author-role",
        "display": f"{person.full_name} ({organisation.name})",
    }
    return contained, sender, [practice_ref]


def fhir_communication_build(content: ExportContent, *, note: str) -> dict:
    """A FHIR R4 Communication (JSON dict) of the export, validated before it is returned.

    The patient is a contained nl-core Patient named by BSN, HIS number and this installation's
    identifier, with the name parts (a reference holds one identifier; the HIS matches on
    whichever it knows); the parties are contained nl-core resources (``_contained_parties``).
    ``identifier`` is the export's idempotency key, in this installation's system and as a URI,
    so a resent Communication is recognisably the same one.
    """
    patient = content.patient
    # The id right after resourceType, where a reader looks for it.
    contained_patient = {"resourceType": "Patient", "id": "patient"} | patient_resource(
        patient, his_number=True
    )
    subject = {
        "reference": "#patient",
        "identifier": contained_patient["identifier"][0],
        "display": patient.formal_name,
    }
    parties, sender, recipients = _contained_parties(content)
    resource = {
        "resourceType": "Communication",
        "contained": [contained_patient, *parties],
        "identifier": [
            own_identifier(content.key),
            {"system": URI_SYSTEM, "value": f"urn:uuid:{content.key}"},
        ],
    }
    if content.based_on:
        resource["basedOn"] = [content.based_on]
    resource |= {
        "status": "completed",
        "subject": subject,
        "topic": {"text": content.subject},
        "sent": _local(content.created_at).isoformat(timespec="seconds"),
    }
    if recipients:
        resource["recipient"] = recipients
    resource["sender"] = sender
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
    resource["note"] = [{"text": note}]
    Communication.model_validate(resource)  # raises if we built something invalid
    return resource
