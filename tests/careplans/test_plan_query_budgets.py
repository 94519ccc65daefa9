"""The health-plan page and the start page's "Mijn acties" cost the same queries for a plan of
10 and of 100 goals and actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.careplans.conftest import membership, plan_with

pytestmark = pytest.mark.django_db

# Session, user, memberships, second-factor check.
PAGE = 4
# The patient (one query: the rule and the grant fact), and the access-log write of the read
# (savepoint, advisory lock, chain head, insert, release).
PATIENT = 1 + 5
# The plan, its problems, goals, actions (owners joined) and the latest changes; who may own an
# action (one list for every form on the page).
PLAN = 5 + 1
# The patient header asks the care plans once whether there is an advance care plan (PZP) whose
# headline this viewer may read (tests/network/test_query_budgets.py, HEADER).
HEADER = 1
# The nurse: her care-network row and the matrix row (which categories she sees). The practice
# instead: the plan's HIS exports and whether its HIS is connected. Measured: 19 for both (with
# the header's PZP), at 10 and at 100; a query per goal or action would add 10 or 100.
NURSE_EXTRA = 2
PRACTICE_EXTRA = 2


@pytest.mark.parametrize("viewer", ["nurse", "gp"])
@pytest.mark.parametrize("n", [10, 100])
def test_the_plan_page_with_n_goals_and_n_actions(
    n, viewer, request, login, nurse, gp, shared_patient, django_assert_max_num_queries
):
    plan_with(nurse, shared_patient, goals=n // 2, actions_per_goal=2)
    plan_with(nurse, shared_patient, goals=n - n // 2, actions_per_goal=0)
    user = request.getfixturevalue(viewer)
    client = login(user)
    url = reverse("healthplan:plan", args=[shared_patient.pk])
    client.get(url)  # settle the session's first-request writes
    budget = PAGE + PATIENT + PLAN + HEADER + (PRACTICE_EXTRA if viewer == "gp" else NURSE_EXTRA)

    with django_assert_max_num_queries(budget):
        response = client.get(url)
    page = response.content.decode()
    assert page.count('id="goal-') == n
    assert page.count('id="action-') == n


# Session, user, memberships, second factor; every other block as in tests/test_start_page.py;
# "Mijn acties": one query (the rows with their count as a window) and the names shown go into
# the page's one access-log write.
@pytest.mark.parametrize("n", [10, 100])
def test_my_actions_block_costs_one_query_for_10_and_100_actions(
    n, client, gp, nurse, physio_in_network, shared_patient, django_assert_max_num_queries
):
    plan_with(nurse, shared_patient, goals=n, owner=membership(physio_in_network))
    client.force_login(physio_in_network)
    client.get(reverse("home"))
    # Physio: conversations 1 and consultations 1 (none), new referrals 1 (none), my actions
    # 1, absent 1 (none), the access-log write 5, the release-note notice 1 (support); 4 for
    # every page. Measured: 14 at 10 and 100.
    with django_assert_max_num_queries(4 + 1 + 1 + 1 + 1 + 5 + 1):
        response = client.get(reverse("home"))
    blocks = {block.key: block for block in response.context["blocks"]}
    assert blocks["my-actions"].count == n
    assert len(blocks["my-actions"].rows) == 5
