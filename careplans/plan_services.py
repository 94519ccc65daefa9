"""Writes of the health plan. Each one, in one transaction: the row, a :class:`PlanChange`
(who, for which organisation, what changed), and an access-log entry with the writer's
relationship to the patient (NEN 7513).

Invariants:

- The caller has the patient's access from ``careplans.plan_access`` (everyone who may see the
  patient works on the plan); the object written belongs to that patient's plan.
- An action's owner is one of ``action_owners_for(patient)``; anyone else is refused with a
  :class:`ValidationError` on ``owner`` and nothing is stored.
- Updates carry the ``version`` the writer's form was made from. The row is locked, and a
  version that is no longer current is refused (``ValidationError`` with code ``stale``):
  nobody silently overwrites a colleague's change. Saving what is already there stores nothing.
- Marking an action done (or open again) is idempotent and needs no version: it is one click,
  on the plan or on the start page, and two people marking it done mean the same thing.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careplans.models import Action, Goal, HealthPlan, PlanChange, Problem
from careplans.plan_access import PLAN_DATA, is_action_owner_allowed
from careplans.signals import actions_changed
from his.models import icpc_code_normalise, validate_icpc_code
from network.access import Actor, PatientAccess
from network.access_log import access_log_write
from network.models import AccessAction

PROBLEM_FIELDS = ("title", "icpc_code", "status")
GOAL_FIELDS = ("description", "what_matters", "target_value", "evaluation_date", "status")
ACTION_FIELDS = ("description", "owner", "due_date", "status")
_KIND = {
    Problem: PlanChange.Kind.PROBLEM,
    Goal: PlanChange.Kind.GOAL,
    Action: PlanChange.Kind.ACTION,
}


def _text(value) -> str:
    """A value as the change log keeps it: dates ISO, an owner by name and organisation."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "organisation"):  # a membership
        return f"{value.user.full_name} ({value.organisation.name})"
    return str(value)


def _log(*, actor: Actor, access: PatientAccess, action: str, obj) -> None:
    access_log_write(
        actor=actor,
        action=action,
        relationship=access.relationship,
        patient=access.patient,
        data=[PLAN_DATA],
        object_ref=f"{PLAN_DATA}:{_KIND[type(obj)]}:{obj.pk}",
    )


def _change(*, actor: Actor, plan: HealthPlan, obj, verb: str, changes: list) -> PlanChange:
    # The plan as a whole changed too (the note for the HIS says when it was last brought up
    # to date).
    HealthPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    return PlanChange.objects.create(
        plan=plan,
        user=actor.user,
        organisation=actor.organisation,
        kind=_KIND[type(obj)],
        object_id=obj.pk,
        verb=verb,
        label=str(obj)[:300],
        changes=changes,
    )


def _plan_for(*, actor: Actor, access: PatientAccess) -> HealthPlan:
    """The patient's plan, made at its first write (reading one never makes it)."""
    plan, _created = HealthPlan.objects.get_or_create(
        patient=access.patient, defaults={"created_by": actor.user}
    )
    return plan


def _require_in_plan(access: PatientAccess, obj) -> None:
    if obj.plan.patient_id != access.patient.pk:
        raise ValueError("the object belongs to another patient's plan")


def _clean_icpc(code: str) -> str:
    code = icpc_code_normalise(code)
    try:
        validate_icpc_code(code)
    except ValidationError as exc:
        raise ValidationError({"icpc_code": exc.messages}) from None
    return code


def _check_owner(access: PatientAccess, owner) -> None:
    if owner is None or not is_action_owner_allowed(access.patient, owner):
        raise ValidationError(
            {
                "owner": _(
                    "%(name)s is not in this patient's care network. Add them to the care "
                    "network first, or choose someone who is."
                )
                % {"name": owner.user.full_name if owner else "?"}
            },
            code="owner_outside_network",
        )


def _create(*, actor: Actor, access: PatientAccess, model, fields: dict, fixed: dict):
    plan = _plan_for(actor=actor, access=access)
    obj = model.objects.create(plan=plan, created_by=actor.user, **fixed, **fields)
    changes = [[name, "", _text(value)] for name, value in fields.items() if _text(value)]
    _change(actor=actor, plan=plan, obj=obj, verb=PlanChange.Verb.CREATED, changes=changes)
    _log(actor=actor, access=access, action=AccessAction.CREATE, obj=obj)
    return obj


def _update(*, actor: Actor, access: PatientAccess, obj, version: int | None, fields: dict):
    """Lock ``obj``, refuse a stale ``version``, store what differs (see the module docstring)."""
    _require_in_plan(access, obj)
    locked = type(obj).objects.select_for_update().select_related("plan").get(pk=obj.pk)
    if version is not None and locked.version != version:
        raise ValidationError(
            _(
                "Someone else changed this in the meantime. Your change has not been saved: "
                "check the current version below and make your change again."
            ),
            code="stale",
        )
    changes = []
    for name, value in fields.items():
        old = getattr(locked, name)
        if _text(old) != _text(value):
            changes.append([name, _text(old), _text(value)])
            setattr(locked, name, value)
    if not changes:
        return locked
    locked.version += 1
    if isinstance(locked, Action) and "status" in (name for name, _old, _new in changes):
        done = locked.status == Action.Status.DONE
        locked.done_at = timezone.now() if done else None
        locked.done_by = actor.user if done else None
    locked.save()
    _change(
        actor=actor, plan=locked.plan, obj=locked, verb=PlanChange.Verb.UPDATED, changes=changes
    )
    _log(actor=actor, access=access, action=AccessAction.UPDATE, obj=locked)
    return locked


# --- problems -------------------------------------------------------------------------------


@transaction.atomic
def problem_add(*, actor: Actor, access: PatientAccess, title: str, icpc_code: str = "") -> Problem:
    fields = {"title": title.strip(), "icpc_code": _clean_icpc(icpc_code)}
    return _create(actor=actor, access=access, model=Problem, fields=fields, fixed={})


@transaction.atomic
def problem_update(
    *, actor: Actor, access: PatientAccess, problem: Problem, version: int | None, **data
) -> Problem:
    data["icpc_code"] = _clean_icpc(data.get("icpc_code", problem.icpc_code))
    fields = {name: data[name] for name in PROBLEM_FIELDS if name in data}
    return _update(actor=actor, access=access, obj=problem, version=version, fields=fields)


# --- goals ----------------------------------------------------------------------------------


@transaction.atomic
def goal_add(*, actor: Actor, access: PatientAccess, problem: Problem, **data) -> Goal:
    _require_in_plan(access, problem)
    fields = {name: data[name] for name in GOAL_FIELDS if name in data and name != "status"}
    return _create(
        actor=actor, access=access, model=Goal, fields=fields, fixed={"problem": problem}
    )


@transaction.atomic
def goal_update(
    *, actor: Actor, access: PatientAccess, goal: Goal, version: int | None, **data
) -> Goal:
    fields = {name: data[name] for name in GOAL_FIELDS if name in data}
    return _update(actor=actor, access=access, obj=goal, version=version, fields=fields)


# --- actions --------------------------------------------------------------------------------


def _announce(*owners) -> None:
    """After the commit, tell the owners' open start pages that their actions changed."""
    user_ids = sorted({owner.user_id for owner in owners if owner is not None})
    if user_ids:
        transaction.on_commit(
            lambda: actions_changed.send(sender=Action, user_ids=user_ids), robust=True
        )


@transaction.atomic
def action_add(
    *,
    actor: Actor,
    access: PatientAccess,
    goal: Goal,
    description: str,
    owner,
    due_date: datetime.date | None = None,
) -> Action:
    _require_in_plan(access, goal)
    _check_owner(access, owner)
    fields = {"description": description.strip(), "owner": owner, "due_date": due_date}
    created = _create(actor=actor, access=access, model=Action, fields=fields, fixed={"goal": goal})
    _announce(owner)
    return created


@transaction.atomic
def action_update(
    *, actor: Actor, access: PatientAccess, action: Action, version: int | None, **data
) -> Action:
    fields = {name: data[name] for name in ACTION_FIELDS if name in data}
    if "owner" in fields and fields["owner"] is not None and fields["owner"].pk != action.owner_id:
        _check_owner(access, fields["owner"])
    updated = _update(actor=actor, access=access, obj=action, version=version, fields=fields)
    _announce(action.owner, updated.owner)  # a handed-over action leaves one list for another
    return updated


@transaction.atomic
def action_status_set(
    *, actor: Actor, access: PatientAccess, action: Action, status: str
) -> Action:
    """Done, open again or cancelled, from one click (no version: see the module docstring)."""
    if status not in Action.Status.values:
        raise ValidationError(_("Choose open, done or cancelled."), code="status")
    updated = _update(
        actor=actor, access=access, obj=action, version=None, fields={"status": status}
    )
    _announce(updated.owner)
    return updated
