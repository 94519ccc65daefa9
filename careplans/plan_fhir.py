"""The health plan for the practice's HIS: a SOEP note and a FHIR R4 transaction Bundle.

The Bundle holds a CarePlan (the plan: ``addresses`` its problems, ``goal`` its goals, one
``activity`` per action with its owner as performer, its due date and status), a Goal per goal
(lifecycle and achievement status, target value, evaluation date as the target's due date,
what matters to the patient as a note, ``addresses`` its problem) and a Condition per problem
(nl-core-Problem, ICPC-1-NL where coded). The patient, the practice and each action owner (a
Practitioner with a PractitionerRole at their organisation) follow nl-core, as in
``referrals.fhir``.

Idempotent twice over: every resource is a conditional request on its business identifier (a
UUID kept on the row, in this installation's naming system), so a second export updates what
the first created; and exporting a plan that has not changed since its last export that is
waiting or delivered returns that export instead of storing another. Delivery itself is
``his.services``' (same Idempotency-Key on every attempt), or, without a HIS connection, the
note is downloaded. The Bundle is validated with ``fhir.resources`` before it is stored.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from django.http import Http404
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from careplans.models import Action, Goal, HealthPlan, Problem
from careplans.plan_access import PLAN_DATA
from careplans.plan_selectors import plan_for_export
from his.builders import INDENT
from his.fhir import (
    BSN_SYSTEM,
    PROBLEM_PROFILE,
    conditional_create,
    conditional_update,
    icpc_coding,
    organization_match,
    organization_resource,
    own_identifier,
    patient_resource,
    practitioner_match,
    practitioner_resource,
    practitioner_role_resource,
    profile,
    role_uuid,
)
from his.models import HisExport
from his.selectors import his_export_unchanged, his_exports_of
from his.services import his_export_store, his_note_file
from network.access import Actor, PatientAccess
from network.access_log import access_log_write
from network.models import AccessAction, DataCategory

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"

PROBLEM_STATUS = {Problem.Status.ACTIVE: "active", Problem.Status.RESOLVED: "resolved"}
# (lifecycleStatus, achievementStatus code)
GOAL_STATUS = {
    Goal.Status.ACTIVE: ("active", "in-progress"),
    Goal.Status.ACHIEVED: ("completed", "achieved"),
    Goal.Status.NOT_ACHIEVED: ("completed", "not-achieved"),
    Goal.Status.CANCELLED: ("cancelled", None),
}
ACTION_STATUS = {
    Action.Status.OPEN: "not-started",
    Action.Status.DONE: "completed",
    Action.Status.CANCELLED: "cancelled",
}
# The national form's words for the statuses, in the note (always Dutch: it goes into a Dutch
# journal).
NOTE_STATUS = {
    "active": "in uitvoering",
    "achieved": "behaald",
    "not_achieved": "niet behaald",
    "cancelled": "vervallen",
    "open": "open",
    "done": "gedaan",
    "resolved": "afgesloten",
}


def _urn(value: uuid.UUID) -> str:
    return f"urn:uuid:{value}"


def _ref(value: uuid.UUID, display: str = "") -> dict:
    reference = {"reference": _urn(value)}
    if display:
        reference["display"] = display
    return reference


def _date(value) -> str:
    return value.strftime("%d-%m-%Y") if value else ""


# --- the SOEP note ----------------------------------------------------------------------------


def plan_note_build(plan: HealthPlan, problems, goals, actions) -> str:
    """The plan as a journal note: S lists problems → goals → actions; E the coded problems."""
    goals_of: dict[int, list] = {}
    for goal in goals:
        goals_of.setdefault(goal.problem_id, []).append(goal)
    actions_of: dict[int, list] = {}
    for action in actions:
        actions_of.setdefault(action.goal_id, []).append(action)
    updated = _date(timezone.localtime(plan.updated_at))
    lines = [f"S: Gezondheidsplan in Regiozorg (bijgewerkt {updated})"]
    for problem in problems:
        code = f" ({problem.icpc_code})" if problem.icpc_code else ""
        status = " [afgesloten]" if problem.status == Problem.Status.RESOLVED else ""
        lines.append(f"{INDENT}Probleem: {problem.title}{code}{status}")
        for goal in goals_of.get(problem.pk, []):
            parts = [f"Doel: {goal.description} ({NOTE_STATUS[goal.status]})"]
            if goal.target_value:
                parts.append(f"streefwaarde {goal.target_value}")
            if goal.evaluation_date:
                parts.append(f"evaluatie {_date(goal.evaluation_date)}")
            lines.append(f"{INDENT * 2}" + "; ".join(parts))
            if goal.what_matters:
                what = " ".join(goal.what_matters.split())
                lines.append(f"{INDENT * 3}Wat de patiënt belangrijk vindt: {what}")
            for action in actions_of.get(goal.pk, []):
                owner = f"{action.owner.user.full_name} ({action.owner.organisation.name})"
                due = f", uiterlijk {_date(action.due_date)}" if action.due_date else ""
                lines.append(
                    f"{INDENT * 3}Actie: {action.description} – {owner}{due}, "
                    f"{NOTE_STATUS[action.status]}"
                )
    coded = [f"{p.icpc_code} {p.title}" for p in problems if p.icpc_code]
    lines += [
        "O: -",
        f"E: {'; '.join(coded) if coded else '-'}",
        "P: zie gezondheidsplan in Regiozorg",
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


# --- the FHIR Bundle ------------------------------------------------------------------------


def _owner_entries(actions, *, practice) -> tuple[list[dict], dict[int, dict]]:
    """Each action owner once: Practitioner, Organization and PractitionerRole (conditional
    creates), and the reference to their role by membership id. The practice is in the Bundle
    already (one entry per fullUrl)."""
    entries, roles, seen_orgs, seen_people = [], {}, {practice.pk}, set()
    for action in actions:
        membership = action.owner
        if membership.pk in roles:
            continue
        user, organisation = membership.user, membership.organisation
        key = role_uuid(user, organisation)
        if user.pk not in seen_people:  # one person may own actions for two organisations
            seen_people.add(user.pk)
            entries.append(
                conditional_create(
                    practitioner_resource(user), _urn(user.uuid), match=practitioner_match(user)
                )
            )
        if organisation.pk not in seen_orgs:
            seen_orgs.add(organisation.pk)
            entries.append(
                conditional_create(
                    organization_resource(organisation),
                    _urn(organisation.uuid),
                    match=organization_match(organisation),
                )
            )
        entries.append(
            conditional_create(
                practitioner_role_resource(
                    user,
                    organisation,
                    practitioner=_ref(user.uuid, user.full_name),
                    organization=_ref(organisation.uuid, organisation.name),
                ),
                _urn(key),
                match=own_identifier(key),
            )
        )
        roles[membership.pk] = _ref(key, f"{user.full_name} ({organisation.name})")
    return entries, roles


def _condition(problem: Problem, patient_ref: dict) -> dict:
    code = {"text": problem.title}
    if problem.icpc_code:
        code["coding"] = [icpc_coding(problem.icpc_code, problem.title)]
    return {
        "resourceType": "Condition",
        "meta": profile(PROBLEM_PROFILE),
        "identifier": [own_identifier(problem.uuid)],
        "clinicalStatus": {
            "coding": [{"system": CONDITION_CLINICAL, "code": PROBLEM_STATUS[problem.status]}]
        },
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "code": code,
        "subject": patient_ref,
        "recordedDate": problem.created_at.isoformat(timespec="seconds"),
    }


def _goal(goal: Goal, patient_ref: dict) -> dict:
    lifecycle, achievement = GOAL_STATUS[goal.status]
    resource = {
        "resourceType": "Goal",
        "identifier": [own_identifier(goal.uuid)],
        "lifecycleStatus": lifecycle,
    }
    if achievement:
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT, "code": achievement}]
        }
    resource |= {"description": {"text": goal.description}, "subject": patient_ref}
    if goal.target_value or goal.evaluation_date:
        # gol-1: a target with a detail names what is measured.
        target = {"measure": {"text": goal.description}}
        if goal.target_value:
            target["detailString"] = goal.target_value
        if goal.evaluation_date:
            target["dueDate"] = goal.evaluation_date.isoformat()
        resource["target"] = [target]
    resource["addresses"] = [_ref(goal.problem.uuid, goal.problem.title)]
    notes = []
    if goal.what_matters:
        notes.append({"text": f"Wat de patiënt belangrijk vindt: {goal.what_matters}"})
    if goal.evaluation_date:
        notes.append({"text": f"Evaluatiedatum: {_date(goal.evaluation_date)}"})
    if notes:
        resource["note"] = notes
    return resource


def _activity(action: Action, roles: dict[int, dict], goal_uuid: dict[int, uuid.UUID]) -> dict:
    detail = {
        "kind": "Task",
        "status": ACTION_STATUS[action.status],
        "goal": [_ref(goal_uuid[action.goal_id])],
        "performer": [roles[action.owner_id]],
        "description": action.description,
    }
    if action.due_date:
        detail["scheduledPeriod"] = {"end": action.due_date.isoformat()}
    return {"detail": detail}


def plan_bundle(plan: HealthPlan, problems, goals, actions) -> dict:
    """The plan as a FHIR R4 transaction Bundle (JSON dict), validated (module docstring)."""
    patient = plan.patient
    practice = patient.practice
    patient_fhir = patient_resource(patient, his_number=True)
    patient_match = patient_fhir["identifier"][0]
    if patient_match["system"] != BSN_SYSTEM:
        patient_match = own_identifier(patient.uuid)
    patient_ref = _ref(patient.uuid, patient.formal_name)
    problem_by_pk = {p.pk: p for p in problems}
    for goal in goals:
        goal.problem = problem_by_pk[goal.problem_id]
    owners, roles = _owner_entries(actions, practice=practice)
    goal_uuid = {g.pk: g.uuid for g in goals}
    care_plan_key = uuid.uuid5(plan.uuid, "CarePlan")
    care_plan = {
        "resourceType": "CarePlan",
        "identifier": [own_identifier(plan.uuid)],
        "status": "active",
        "intent": "plan",
        "title": "Gezondheidsplan",
        "description": "Gezamenlijk gezondheidsplan van het zorgnetwerk in Regiozorg",
        "subject": patient_ref,
        "created": plan.created_at.isoformat(timespec="seconds"),
        "author": _ref(practice.uuid, practice.name),
    }
    if roles:
        care_plan["contributor"] = list(roles.values())
    if problems:
        care_plan["addresses"] = [_ref(p.uuid, p.title) for p in problems]
    if goals:
        care_plan["goal"] = [_ref(g.uuid, g.description) for g in goals]
    if actions:
        care_plan["activity"] = [_activity(a, roles, goal_uuid) for a in actions]
    entries = [
        conditional_create(patient_fhir, _urn(patient.uuid), match=patient_match),
        conditional_create(
            organization_resource(practice), _urn(practice.uuid), match=organization_match(practice)
        ),
        *owners,
        *(
            conditional_update(
                _condition(p, patient_ref), _urn(p.uuid), match=own_identifier(p.uuid)
            )
            for p in problems
        ),
        *(
            conditional_update(_goal(g, patient_ref), _urn(g.uuid), match=own_identifier(g.uuid))
            for g in goals
        ),
        conditional_update(care_plan, _urn(care_plan_key), match=own_identifier(plan.uuid)),
    ]
    content = json.dumps(entries, sort_keys=True, ensure_ascii=False).encode()
    bundle = {
        "resourceType": "Bundle",
        # The same plan gives the same Bundle, with the same id.
        "id": str(uuid.uuid5(plan.uuid, "Bundle:" + hashlib.sha256(content).hexdigest())),
        "type": "transaction",
        "entry": entries,
    }
    Bundle.model_validate(bundle)  # raises if we built something invalid
    return bundle


# --- export and download --------------------------------------------------------------------


def plan_his_exports_for(*, plan: HealthPlan) -> list[HisExport]:
    return list(his_exports_of(model=HealthPlan, ids=[plan.pk]).order_by("-created_at", "-pk")[:5])


def plan_his_export_create(*, actor: Actor, access: PatientAccess) -> HisExport:
    """Store an export of the plan and queue its delivery (``his.services``). The caller checked
    that the actor is the patient's own practice. A plan unchanged since its last export that
    is waiting or delivered gives that export again (a double click sends one)."""
    plan, problems, goals, actions = plan_for_export(access=access)
    note = plan_note_build(plan, problems, goals, actions)
    bundle = plan_bundle(plan, problems, goals, actions)
    latest = his_export_unchanged(model=HealthPlan, pk=plan.pk, resource_id=bundle["id"])
    if latest is not None:
        return latest
    coded = next((p.icpc_code for p in problems if p.icpc_code), "")
    return his_export_store(
        actor=actor,
        source=plan,
        patient=access.patient,
        key=uuid.uuid4(),
        note=note,
        resource=bundle,
        icpc_code=coded,
        data=PLAN_DATA,
    )


def plan_his_export_file_get(*, actor: Actor, access: PatientAccess, pk) -> tuple[str, str]:
    """(file name, text) of one of the plan's exports: the note, logged as an export."""
    plan = HealthPlan.objects.filter(patient=access.patient).first()
    try:
        if plan is None:
            raise HisExport.DoesNotExist
        export = his_exports_of(model=HealthPlan, ids=[plan.pk]).get(pk=pk)
    except (HisExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return his_note_file(
        actor=actor, patient=access.patient, export=export, data=PLAN_DATA, name="gezondheidsplan"
    )


def plan_resource_download(*, actor: Actor, access: PatientAccess) -> tuple[str, dict]:
    """(file name, Bundle) to download, logged as an export of the plan."""
    plan, problems, goals, actions = plan_for_export(access=access)
    bundle = plan_bundle(plan, problems, goals, actions)
    access_log_write(
        actor=actor,
        action=AccessAction.EXPORT,
        relationship=access.relationship,
        patient=access.patient,
        data=[DataCategory.IDENTITY, PLAN_DATA],
        object_ref=f"{PLAN_DATA}:fhir",
    )
    return f"gezondheidsplan-{timezone.localdate():%Y-%m-%d}.fhir.json", bundle
