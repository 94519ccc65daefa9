"""Health-plan journey in a real Chromium: the district nurse opens Sjoerd's health plan from his
patient page, adds a problem, a goal (what matters to him, a target value, an evaluation date)
and an action for the physiotherapist in his care network; the physiotherapist, on a phone,
finds it under *Mijn acties* on the start page, opens the plan with one click, goes back and
marks it done. A physiotherapist who is not in the care network gets *niet gevonden*.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from careplans.models import Action
from tests.browser.test_patient_journeys import dutch, log_in_with_totp, patient_tab
from tests.factories import (
    CareNetworkMemberFactory,
    MembershipFactory,
    UserFactory,
    totp_enable,
)

pytestmark = pytest.mark.django_db(transaction=True)

ACTION = "Traptraining 2x per week"


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px phone"


def test_nurse_plans_an_action_for_the_physio_who_sees_it_on_the_start_page_and_marks_it_done(
    page,
    phone_page,
    other_computer,
    nurse,
    physio,
    physio_practice,
    shared_patient,
    totp_secret,
    assert_accessible,
):
    CareNetworkMemberFactory(patient=shared_patient, user=physio, organisation=physio_practice)
    totp_secret[physio.pk] = totp_enable(physio)

    # 1. The nurse opens the patient and the Gezondheidsplan tab: no plan yet.
    log_in_with_totp(
        page, nurse.email, totp_secret[nurse.pk], start=f"/patienten/{shared_patient.pk}/"
    )
    patient_tab(page, "Health plan").click()
    expect(page).to_have_url(re.compile(rf"/patienten/{shared_patient.pk}/gezondheidsplan/$"))
    expect(page.locator("#plan-empty")).to_be_visible()
    assert_accessible(page)

    # 2. A problem, with its ICPC code.
    add_problem = page.locator("#problem-add")
    add_problem.get_by_label(dutch("Problem")).fill("Kortademig bij traplopen")
    add_problem.get_by_label(dutch("ICPC code (optional)")).fill("r95")
    add_problem.get_by_role("button", name=dutch("Add problem")).click()
    expect(page.locator("#messages")).to_contain_text(dutch("The problem has been added."))
    problem = page.locator("section[id^=problem-]").first
    expect(problem).to_contain_text("R95")

    # 3. A goal: what matters to him, a target value, an evaluation date.
    problem.get_by_text(dutch("Add a goal")).click()
    problem.get_by_label(dutch("Goal")).fill("Zelf naar boven om te slapen")
    problem.get_by_label(dutch("What matters to the patient")).fill("In zijn eigen bed slapen")
    problem.get_by_label(dutch("Target value")).fill("1 trap zonder rust")
    problem.get_by_label(dutch("Evaluation date")).fill("2030-04-01")
    problem.get_by_role("button", name=dutch("Add goal")).click()
    expect(page.locator("#messages")).to_contain_text(dutch("The goal has been added."))
    goal = page.locator("article[id^=goal-]").first
    expect(goal).to_contain_text("In zijn eigen bed slapen")

    # 4. An action for the physiotherapist (he is in the care network, so he is offered).
    goal.get_by_text(dutch("Add an action")).click()
    goal.get_by_label(dutch("Action")).fill(ACTION)
    goal.get_by_label(dutch("Who does it")).select_option(
        label=f"{physio.full_name} ({physio_practice.name})"
    )
    goal.get_by_label(dutch("Due date")).fill("2030-03-01")
    goal.get_by_role("button", name=dutch("Add action")).click()
    expect(page.locator("#messages")).to_contain_text(dutch("The action has been added."))
    expect(page.locator("li[id^=action-]")).to_contain_text(physio.full_name)
    expect(page.locator("#plan-history")).to_contain_text(ACTION)
    assert_accessible(page)
    action = Action.objects.get(description=ACTION)
    assert action.owner.user == physio and action.status == "open"

    # 5. The physiotherapist, on his phone: Mijn acties on the start page.
    log_in_with_totp(phone_page, physio.email, totp_secret[physio.pk])
    block = phone_page.locator("#start-my-actions")
    expect(block).to_contain_text(dutch("My actions"))
    expect(block).to_contain_text(ACTION)
    expect(block).to_contain_text(shared_patient.formal_name)
    no_horizontal_scroll(phone_page)
    # One click to the action in the plan, and back.
    block.get_by_role("link", name=ACTION).click()
    expect(phone_page).to_have_url(re.compile(rf"/gezondheidsplan/#action-{action.pk}$"))
    expect(phone_page.locator(f"#action-{action.pk}")).to_contain_text(ACTION)
    no_horizontal_scroll(phone_page)
    phone_page.go_back()
    phone_page.locator("#start-my-actions").get_by_role(
        "button", name=re.compile("^" + re.escape(dutch("Mark done")))
    ).click()
    expect(phone_page).to_have_url(re.compile(r"/$"))
    expect(phone_page.locator("#messages")).to_contain_text(ACTION)
    expect(phone_page.locator("#start-my-actions")).to_contain_text(
        dutch("No open actions in health plans.")
    )
    action.refresh_from_db()
    assert action.status == "done" and action.done_by == physio

    # 6. The nurse sees it done in the plan, with who did it in the history.
    page.reload()
    expect(page.locator(f"#action-{action.pk}")).to_contain_text(dutch("done"))
    expect(page.locator("#plan-history")).to_contain_text(physio.full_name)

    # 7. Another physiotherapist, not in Sjoerd's care network, does not find the plan.
    stranger = UserFactory(email="fysio2@fysiocentrum.nl", first_name="Sietske", last_name="Bos")
    MembershipFactory(user=stranger, organisation=physio_practice, role="provider")
    totp_secret[stranger.pk] = totp_enable(stranger)
    stranger_page = other_computer()
    log_in_with_totp(stranger_page, stranger.email, totp_secret[stranger.pk])
    response = stranger_page.goto(f"/patienten/{shared_patient.pk}/gezondheidsplan/")
    assert response.status == 404
    expect(stranger_page.locator("body")).not_to_contain_text(ACTION)
