"""The advance care plan, exported to the practice's HIS (*terugkoppelen naar het HIS*).

The same export as for conversations and feedback (``his.services``): a ``HisExport`` of the
plan holding a readable SOEP note (ICPC-1-NL A99, and A20 when euthanasia was discussed) and the
PZP as a FHIR transaction Bundle (``careplans.acp_fhir``, with the note as a Communication),
delivered by the same Celery task with its idempotency key, or downloaded when the practice
has no HIS connection. Only the practice (the *regiehouder*) exports.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from careplans.access import ACP_DATA, AcpAccess, Actor
from careplans.acp_fhir import acp_bundle, acp_icpc
from careplans.acp_selectors import acp_version_get, field_value, treatment_limits
from careplans.models import AcpVersion, AdvanceCarePlan
from his.models import HisExport
from his.selectors import his_exports_of
from his.services import his_export_store, his_note_file

INDENT = "   "


def acp_note_build(version: AcpVersion) -> str:
    """The journal note, always Dutch: the limits under P, where a GP looks for the policy."""
    with translation.override("nl"):
        present = "; ".join(
            ", ".join(p for p in (r.get("name"), r.get("role"), r.get("relation")) if p)
            for r in version.present
        )
        held = ", ".join(p for p in (version.held_by_name, version.held_by_function) if p)
        lines = [
            f"S: Proactieve zorgplanning (PZP), gesprek van "
            f"{version.conversation_date.strftime('%d-%m-%Y')}" + (f" door {held}" if held else ""),
        ]
        if present:
            lines.append(f"{INDENT}Aanwezig: {present}")
        for text in (version.care_wishes, version.other_matters):
            lines += [f"{INDENT}{line.strip()}" for line in text.splitlines() if line.strip()]
        lines += [
            "O: -",
            "E: " + "; ".join(f"{code} {title}" for code, title in acp_icpc(version)),
            f"P: Behandeldoel: {field_value(version, 'goal')}",
        ]
        for limit in treatment_limits(version):
            note = f" ({' '.join(limit.note.split())})" if limit.note else ""
            lines.append(f"{INDENT}{limit.label}: {limit.decision_label}{note}")
        lines.append(f"{INDENT}Gewenste plek van overlijden: {field_value(version, 'death_place')}")
        lines.append(f"{INDENT}Standpunt euthanasie: {field_value(version, 'euthanasia')}")
        if version.icd_present == "yes":
            lines.append(f"{INDENT}ICD: {field_value(version, 'icd_agreement')}")
        lines.append(f"{INDENT}Zie PZP in Regiozorg (versie {version.number})")
        return "\n".join(line.rstrip() for line in lines) + "\n"


def acp_his_export_create(*, actor: Actor, acp: AcpAccess) -> HisExport:
    """Store an export of the newest version and queue its delivery if the HIS is connected.
    Logged as an export by ``his_export_store``."""
    if not acp.can_edit or acp.version is None:
        raise PermissionDenied
    version = acp_version_get(access=acp, number=acp.version.number)
    key = uuid.uuid4()
    note = acp_note_build(version)
    [(code, _title), *_rest] = acp_icpc(version)
    return his_export_store(
        actor=actor,
        source=acp.plan,
        patient=acp.patient,
        key=key,
        note=note,
        resource=acp_bundle(patient=acp.patient, version=version, note=note, note_key=key),
        icpc_code=code,
        data=ACP_DATA,
    )


def acp_his_note_file(*, actor: Actor, acp: AcpAccess, pk) -> tuple[str, str]:
    """(file name, text) of one of the plan's exports, for the practice; logged as an export."""
    if not acp.can_edit or acp.plan is None:
        raise Http404
    try:
        export = his_exports_of(model=AdvanceCarePlan, ids=[acp.plan.pk]).get(pk=pk)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return his_note_file(actor=actor, patient=acp.patient, export=export, data=ACP_DATA, name="pzp")
