"""Demo data: Geertje van der Meer has a health plan with actions for the district nurse and the
physiotherapist, which they see on their start pages; seeding twice changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.demo import demo_email
from careplans.models import Action, Goal, HealthPlan, PlanChange, Problem
from regiozorg.demo import demo_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


def test_geertje_has_a_plan_with_actions_for_the_nurse_and_the_physio(client):
    demo_seed()
    plan = HealthPlan.objects.get(patient__his_id="terp-0001")
    assert str(plan.patient) == "Geertje van der Meer"
    owners = set(
        Action.objects.filter(plan=plan).values_list(
            "owner__user__email", "owner__organisation__name"
        )
    )
    assert {email for email, _org in owners} == {
        demo_email("wijkverpleegkundige"),
        demo_email("fysiotherapeut"),
    }
    # The physiotherapist acts for Fysiotherapie De Brug (not for the district nursing).
    assert all("Fysiotherapie" in org for email, org in owners if "fysio" in email)
    # Besides these two, the demo MDO's agreement adds its own problem and goal
    # (tests/meetings/test_demo.py).
    own = Problem.objects.filter(plan=plan).exclude(title="Afspraken uit het MDO")
    assert own.count() == 2
    assert Goal.objects.filter(problem__in=own).count() == 2
    assert PlanChange.objects.filter(plan=plan, verb="updated").exists()
    counts = (Action.objects.count(), PlanChange.objects.count())
    demo_seed()
    assert (Action.objects.count(), PlanChange.objects.count()) == counts

    from accounts.models import User

    client.force_login(User.objects.get(email=demo_email("fysiotherapeut")))
    home = client.get(reverse("home"))
    block = next(b for b in home.context["blocks"] if b.key == "my-actions")
    assert [r.title for r in block.rows] == [
        "Beoordelen of oefenen thuis veilig kan bij het hartfalen",
        "Looptraining thuis, 2x per week",
    ]
    client.force_login(User.objects.get(email=demo_email("wijkverpleegkundige")))
    block = next(b for b in client.get(reverse("home")).context["blocks"] if b.key == "my-actions")
    assert block.rows[0].title == "Inhalatietechniek controleren bij het huisbezoek"
    assert block.rows[0].urgent  # overdue
