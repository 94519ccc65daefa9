"""The MDO's agreements become health-plan actions: meetings and careplans live on the same
floor and may not import each other, so the top floor fills the slot meetings offers
(``meetings.hooks``) with a function that calls ``careplans.plan_services``.

Where the action goes: under the problem "Afspraken uit het MDO" of the patient's plan (made
at the first agreement), in a goal named after the agenda item's question — the same goal for
every agreement of that item. The owner is the agreement's, else whoever makes the action;
``action_add`` refuses an owner outside the care network with a Dutch message. The problem's
and goal's words are stored in Dutch, as the plan's data is (like the demo plan's).
"""

from __future__ import annotations

import uuid

from careplans.models import Goal, HealthPlan, Problem
from careplans.plan_services import action_add, goal_add, problem_add
from conversations.realtime import publish
from meetings.hooks import agreement_action_register, call_publisher_register

MDO_PROBLEM = "Afspraken uit het MDO"


def _goal_for(*, actor, access, agreement) -> Goal:
    plan = HealthPlan.objects.filter(patient_id=access.patient.pk).first()
    problem = (
        Problem.objects.filter(plan=plan, title=MDO_PROBLEM).order_by("pk").first()
        if plan
        else None
    )
    if problem is None:
        problem = problem_add(actor=actor, access=access, title=MDO_PROBLEM)
    description = " ".join(agreement.item.question.split())[:300]
    goal = Goal.objects.filter(problem=problem, description=description).order_by("pk").first()
    if goal is None:
        goal = goal_add(actor=actor, access=access, problem=problem, description=description)
    return goal


def agreement_to_plan_action(*, actor, access, agreement) -> uuid.UUID:
    action = action_add(
        actor=actor,
        access=access,
        goal=_goal_for(actor=actor, access=access, agreement=agreement),
        description=agreement.text,
        owner=agreement.owner or actor.membership,
        due_date=agreement.due_date,
    )
    return action.uuid


def connect() -> None:
    agreement_action_register(agreement_to_plan_action)
    call_publisher_register(publish)
