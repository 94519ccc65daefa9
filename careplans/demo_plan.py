"""Demo health plan: Geertje van der Meer (terp-0001, COPD and heart failure) has a plan the
district nurse started, with actions for herself and for the physiotherapist (one of hers
overdue, so the start page shows the mark), and a change by the physiotherapist in the
history. Idempotent: a plan that exists is left as it is."""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Membership
from careplans.models import HealthPlan
from careplans.plan_services import action_add, goal_add, goal_update, problem_add
from network.access import Actor, patient_access_for, patients_visible_to


def _actor(email: str, organisation) -> Actor:
    membership = Membership.objects.select_related("organisation", "user").get(
        user__email=email, organisation=organisation
    )
    return Actor(user=membership.user, membership=membership, request_id="demo-seed")


def demo_health_plan(*, organisations, email) -> None:
    nurse = _actor(email("wijkverpleegkundige"), organisations["wijk"])
    physio = _actor(email("fysiotherapeut"), organisations["fysio"])
    geertje = patients_visible_to(nurse).get(his_id="terp-0001")
    if HealthPlan.objects.filter(patient=geertje).exists():
        return
    access = patient_access_for(actor=nurse, pk=geertje.pk)
    today = timezone.localdate()

    def days(n: int) -> datetime.date:
        return today + datetime.timedelta(days=n)

    copd = problem_add(
        actor=nurse, access=access, title="Kortademig bij inspanning (COPD)", icpc_code="R95"
    )
    walking = goal_add(
        actor=nurse,
        access=access,
        problem=copd,
        description="Zelfstandig naar de brievenbus en terug lopen",
        what_matters="Zelf de krant halen, zoals ze altijd heeft gedaan.",
        target_value="150 m zonder rust, saturatie 90% of hoger",
        evaluation_date=days(42),
    )
    action_add(
        actor=nurse,
        access=access,
        goal=walking,
        description="Looptraining thuis, 2x per week",
        owner=physio.membership,
        due_date=days(28),
    )
    action_add(
        actor=nurse,
        access=access,
        goal=walking,
        description="Inhalatietechniek controleren bij het huisbezoek",
        owner=nurse.membership,
        due_date=days(-2),
    )
    heart = problem_add(actor=nurse, access=access, title="Hartfalen", icpc_code="K77")
    weight = goal_add(
        actor=nurse,
        access=access,
        problem=heart,
        description="Gewicht stabiel, geen vocht vasthouden",
        what_matters="Niet weer opgenomen worden.",
        target_value="Gewicht onder 72 kg",
        evaluation_date=days(28),
    )
    action_add(
        actor=nurse,
        access=access,
        goal=weight,
        description="Dagelijks wegen en het gewicht noteren",
        owner=nurse.membership,
        due_date=days(7),
    )
    action_add(
        actor=nurse,
        access=access,
        goal=weight,
        description="Beoordelen of oefenen thuis veilig kan bij het hartfalen",
        owner=physio.membership,
        due_date=days(14),
    )
    # The physiotherapist sharpened the walking goal: the history shows who changed what.
    goal_update(
        actor=physio,
        access=patient_access_for(actor=physio, pk=geertje.pk),
        goal=walking,
        version=walking.version,
        target_value="200 m zonder rust, saturatie 90% of hoger",
    )
