"""Reads of the health plan, each a fixed number of queries whatever the plan's size.

The patient's access comes from ``careplans.plan_access`` (and so from ``network.access``);
these only read the plan of a patient the caller may already see.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db.models import Count, F, Q, Window
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format

from careplans.models import Action, Goal, HealthPlan, PlanChange, Problem
from careplans.plan_access import open_actions_for
from network.access import Actor, PatientAccess, relationship_of
from network.patient_sections import PatientSection

CHANGES_SHOWN = 50
_MODELS = {
    PlanChange.Kind.PROBLEM: Problem,
    PlanChange.Kind.GOAL: Goal,
    PlanChange.Kind.ACTION: Action,
}


@dataclasses.dataclass
class PlanView:
    plan: HealthPlan | None
    problems: list[Problem]
    changes: list
    today: datetime.date
    open_actions: int = 0
    overdue_actions: int = 0


def plan_of(patient) -> HealthPlan | None:
    return HealthPlan.objects.filter(patient=patient).first()


def plan_view_for(*, access: PatientAccess) -> PlanView:
    """The whole plan: problems → goals → actions (with owners), and the latest changes.
    Five queries: plan, problems, goals, actions, changes."""
    today = timezone.localdate()
    plan = plan_of(access.patient)
    if plan is None:
        return PlanView(plan=None, problems=[], changes=[], today=today)
    problems = list(Problem.objects.filter(plan=plan))
    goals = list(Goal.objects.filter(plan=plan))
    actions = list(
        Action.objects.filter(plan=plan).select_related("owner__user", "owner__organisation")
    )
    goals_of: dict[int, list] = {}
    for goal in goals:
        goal.action_list = []
        goals_of.setdefault(goal.problem_id, []).append(goal)
    by_goal = {goal.pk: goal for goal in goals}
    open_count = overdue = 0
    for action in actions:
        action.overdue = action.is_overdue(today)
        by_goal[action.goal_id].action_list.append(action)
        open_count += action.status == Action.Status.OPEN
        overdue += action.overdue
    for problem in problems:
        problem.goal_list = goals_of.get(problem.pk, [])
    changes = list(
        PlanChange.objects.filter(plan=plan).select_related("user", "organisation")[:CHANGES_SHOWN]
    )
    for change in changes:
        change.rows = _change_rows(change)
    return PlanView(
        plan=plan,
        problems=problems,
        changes=changes,
        today=today,
        open_actions=open_count,
        overdue_actions=overdue,
    )


def _shown(model, name: str, value: str) -> str:
    """A stored value as the page shows it: a choice by its label, a date in Dutch form."""
    if not value:
        return "–"
    field = model._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.get_internal_type() == "DateField":
        parsed = parse_date(value)
        return date_format(parsed, "SHORT_DATE_FORMAT") if parsed else value
    return value


def _change_rows(change: PlanChange) -> list[tuple[str, str, str]]:
    model = _MODELS[change.kind]
    rows = []
    for name, old, new in change.changes:
        try:
            label = model._meta.get_field(name).verbose_name
        except Exception:  # a field removed since: show its name
            label = name
        rows.append((str(label), _shown(model, name, old), _shown(model, name, new)))
    return rows


def plan_part_get(*, access: PatientAccess, model, pk):
    """A problem, goal or action of this patient's plan, else 404 (also for another patient's)."""
    try:
        rows = model.objects.select_related("plan")
        if model is Action:
            rows = rows.select_related("owner__user", "owner__organisation")
        return rows.get(plan__patient=access.patient, pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def plan_for_export(*, access: PatientAccess):
    """(plan, problems, goals, actions) for the FHIR export: four queries."""
    plan = (
        HealthPlan.objects.select_related("patient__practice")
        .filter(patient=access.patient)
        .first()
    )
    if plan is None:
        raise Http404
    problems = list(Problem.objects.filter(plan=plan))
    goals = list(Goal.objects.filter(plan=plan))
    actions = list(
        Action.objects.filter(plan=plan).select_related("owner__user", "owner__organisation")
    )
    return plan, problems, goals, actions


# --- the start page: my open actions --------------------------------------------------------


def my_open_actions(*, actor: Actor, limit: int) -> tuple[int, list[Action]]:
    """(how many, the first ``limit``) of the actor's open actions, overdue first then by due
    date — one query (the count rides along as a window over the same rows)."""
    rows = list(
        open_actions_for(actor)
        .select_related("plan__patient", "goal")
        .annotate(total=Window(Count("pk")))
        .order_by(F("due_date").asc(nulls_last=True), "pk")[:limit]
    )
    today = timezone.localdate()
    for action in rows:
        action.overdue = action.is_overdue(today)
    return (rows[0].total if rows else 0), rows


def actions_names_shown(*, actor: Actor, actions) -> list[tuple[int, str]]:
    """(patient id, relationship) for each row, from the rows' annotations: no query."""
    return [
        (
            a.plan.patient_id,
            relationship_of(
                actor,
                a.plan.patient,
                access_granted=a.access_granted,
                in_care_network=a.in_care_network,
            ),
        )
        for a in actions
    ]


def patient_ids_of_plans(*, ids) -> dict[int, int]:
    """Plan id → its patient's id (one query): where a HIS export of a plan points."""
    return dict(HealthPlan.objects.filter(pk__in=list(ids)).values_list("pk", "patient_id"))


# --- the patient page: a summary of the plan ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PlanSummary:
    goals: int
    open_actions: int
    overdue_actions: int


def patient_plan_section(*, actor: Actor, access: PatientAccess):
    """The patient overview's health-plan summary (everyone who sees the patient sees the
    plan): goals in progress, open and overdue actions, one query. No plan: an invitation."""
    today = timezone.localdate()
    open_ = Q(status=Action.Status.OPEN)
    counts = Action.objects.filter(plan__patient=access.patient).aggregate(
        open=Count("pk", filter=open_),
        overdue=Count("pk", filter=open_ & Q(due_date__lt=today)),
        goals=Count("goal", filter=Q(goal__status=Goal.Status.ACTIVE), distinct=True),
    )
    summary = PlanSummary(
        goals=counts["goals"], open_actions=counts["open"], overdue_actions=counts["overdue"]
    )
    return PatientSection("careplans/plan/_patient_section.html", summary)
