"""An agenda item of a closed MDO for the patient's record in the practice's HIS: a SOEP note
(the question, the minutes, the agreements) and a FHIR R4 transaction Bundle with the Patient,
the chair as Practitioner and the report as a Composition (LOINC 11488-4, consult note), one
section each for question, minutes and agreements. Stored and delivered through ``his/``; the
note is the download when the practice has no HIS connection.

Only the patient's own practice exports (``meetings.access.can_export_to_his``). Exporting
an unchanged report again gives the export there is (a double click sends one).
"""

from __future__ import annotations

import html
import uuid

from django.http import Http404
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from his.builders import INDENT
from his.fhir import (
    conditional_create,
    conditional_update,
    own_identifier,
    patient_resource,
    practitioner_match,
    practitioner_resource,
)
from his.models import HisExport
from his.selectors import his_export_unchanged, his_exports_of
from his.services import his_export_store, his_note_file
from meetings.access import MEETING_DATA, ItemAccess
from meetings.models import AgendaItem, Agreement, Minutes
from network.access import Actor

LOINC = "http://loinc.org"


def _date(value) -> str:
    return value.strftime("%d-%m-%Y")


def _parts(item: AgendaItem) -> tuple[str, list[Agreement]]:
    minutes = Minutes.objects.filter(item=item).first()
    agreements = list(
        Agreement.objects.filter(item=item).select_related("owner__user", "owner__organisation")
    )
    return (minutes.text if minutes else ""), agreements


def _agreement_line(a: Agreement) -> str:
    parts = [a.text]
    if a.owner_id:
        parts.append(f"{a.owner.user.full_name} ({a.owner.organisation.name})")
    if a.due_date:
        parts.append(f"uiterlijk {_date(a.due_date)}")
    return " – ".join(parts)


def item_note_build(item: AgendaItem, minutes: str, agreements: list[Agreement]) -> str:
    meeting = item.meeting
    held = _date(timezone.localtime(meeting.held_at))
    lines = [f"S: MDO {meeting.title} ({held}), voorzitter {meeting.chair.full_name}"]
    lines.append(f"{INDENT}Vraag: {' '.join(item.question.split())}")
    lines.append("O: -")
    lines.append(f"E: {' '.join(minutes.split()) or '-'}")
    lines.append("P: " + ("" if agreements else "-"))
    lines += [f"{INDENT}Afspraak: {_agreement_line(a)}" for a in agreements]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _section(title: str, text: str) -> dict:
    body = html.escape(text or "-").replace("\n", "<br/>")
    return {
        "title": title,
        "text": {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{body}</p></div>',
        },
    }


def item_bundle(item: AgendaItem, minutes: str, agreements: list[Agreement]) -> dict:
    """The transaction Bundle, validated with ``fhir.resources``. Its ``id`` is a hash of what
    it says, so an unchanged report is recognised."""
    meeting, patient = item.meeting, item.patient
    patient_url = f"urn:uuid:{patient.uuid}"
    chair_url = f"urn:uuid:{meeting.chair.uuid}"
    composition = {
        "resourceType": "Composition",
        "identifier": own_identifier(item.uuid),
        "status": "final",
        "type": {
            "coding": [{"system": LOINC, "code": "11488-4", "display": "Consult note"}],
            "text": "MDO-verslag",
        },
        "subject": {"reference": patient_url},
        "date": timezone.localtime(meeting.closed_at or timezone.now()).isoformat(),
        "author": [{"reference": chair_url}],
        "title": f"MDO {meeting.title} ({_date(timezone.localtime(meeting.held_at))})",
        "event": [{"period": {"start": timezone.localtime(meeting.held_at).isoformat()}}],
        "section": [
            _section("Vraag", item.question),
            _section("Verslag", minutes),
            _section("Afspraken", "\n".join(_agreement_line(a) for a in agreements)),
        ],
    }
    entries = [
        conditional_create(
            patient_resource(patient, his_number=True),
            patient_url,
            match=own_identifier(patient.uuid),
        ),
        conditional_create(
            practitioner_resource(meeting.chair), chair_url, match=practitioner_match(meeting.chair)
        ),
        conditional_update(composition, f"urn:uuid:{item.uuid}", match=own_identifier(item.uuid)),
    ]
    content = repr((item.question, minutes, [_agreement_line(a) for a in agreements]))
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(item.uuid, content)),
        "type": "transaction",
        "entry": entries,
    }
    Bundle.model_validate(bundle)
    return bundle


def item_his_exports_for(*, access: ItemAccess) -> list[HisExport]:
    return list(
        his_exports_of(model=AgendaItem, ids=[access.item.pk]).order_by("-created_at", "-pk")[:5]
    )


def item_his_export_create(*, actor: Actor, access: ItemAccess) -> HisExport:
    """Store the item's report as an export (``his.services`` logs it and queues the delivery).
    The caller checked the meeting is closed and the actor is the patient's own practice."""
    item = AgendaItem.objects.select_related("meeting__chair", "patient").get(pk=access.item.pk)
    minutes, agreements = _parts(item)
    bundle = item_bundle(item, minutes, agreements)
    latest = his_export_unchanged(model=AgendaItem, pk=item.pk, resource_id=bundle["id"])
    if latest is not None:
        return latest
    return his_export_store(
        actor=actor,
        source=item,
        patient=item.patient,
        key=uuid.uuid4(),
        note=item_note_build(item, minutes, agreements),
        resource=bundle,
        icpc_code="",
        data=MEETING_DATA,
    )


def item_his_note_get(*, actor: Actor, access: ItemAccess, pk) -> tuple[str, str]:
    """(file name, text) of one of the item's exports: the note, logged as an export."""
    try:
        export = his_exports_of(model=AgendaItem, ids=[access.item.pk]).get(pk=pk)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return his_note_file(
        actor=actor, patient=access.patient.patient, export=export, data=MEETING_DATA, name="mdo"
    )
