"""What meetings asks of its siblings, filled in at start-up (``meetings.hooks``): the live
pushes of calls, the conversation a call starts from, and this:

The MDO's agreements become health-plan actions: meetings and careplans live on the same
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

from django.urls import reverse

from careplans.models import Goal, HealthPlan, Problem
from careplans.plan_services import action_add, goal_add, problem_add
from conversations.access import conversation_get_for
from conversations.realtime import publish
from meetings.hooks import (
    ConversationRef,
    agreement_action_register,
    call_publisher_register,
    conversation_finder_register,
)

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


def conversation_ref(*, actor, pk, log: bool = True) -> ConversationRef:
    """A conversation the actor may see, for a video call from it (404 otherwise; the look
    at one about a patient is logged by ``conversation_get_for``)."""
    conversation = conversation_get_for(actor=actor, pk=pk, log=log)
    return ConversationRef(
        pk=conversation.pk,
        subject=conversation.subject,
        patient_id=conversation.patient_id,
        url=reverse("conversations:detail", args=[conversation.pk]),
    )


def connect() -> None:
    agreement_action_register(agreement_to_plan_action)
    call_publisher_register(publish)
    conversation_finder_register(conversation_ref)
