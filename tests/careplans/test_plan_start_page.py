"""The start page's "Mijn acties": the owner's open actions, overdue ones marked, one click to
the plan and one click to mark it done; the patient names shown are logged."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from network.models import AccessLogEntry
from tests.careplans.conftest import access_of, membership, plan_with
from tests.conversations.conftest import actor_for

pytestmark = pytest.mark.django_db


def _my_actions(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return next(b for b in response.context["blocks"] if b.key == "my-actions"), response


def test_the_physio_sees_their_open_actions_overdue_first_and_marked(
    client, nurse, physio_in_network, shared_patient
):
    from careplans.plan_services import action_add

    _problem, [late] = plan_with(nurse, shared_patient, owner=membership(physio_in_network))
    soon = action_add(
        actor=actor_for(nurse),
        access=access_of(nurse, shared_patient),
        goal=late.goal,
        description="Evaluatie looptest",
        owner=membership(physio_in_network),
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    # Someone else's action is not theirs.
    action_add(
        actor=actor_for(nurse),
        access=access_of(nurse, shared_patient),
        goal=late.goal,
        description="Wondzorg",
        owner=membership(nurse),
    )
    client.force_login(physio_in_network)
    block, response = _my_actions(client)
    assert block.title == "Mijn acties" and block.count == 2
    assert [row.title for row in block.rows] == ["Actie 0.0", "Evaluatie looptest"]
    assert block.rows[0].urgent and not block.rows[1].urgent
    assert block.rows[0].note.startswith("te laat")
    page = response.content.decode()
    plan_url = reverse("healthplan:plan", args=[shared_patient.pk])
    assert f"{plan_url}#action-{late.pk}" in page and f"{plan_url}#action-{soon.pk}" in page
    assert shared_patient.formal_name in page
    assert AccessLogEntry.objects.filter(
        user=physio_in_network,
        patient=shared_patient,
        object_ref="start",
        relationship="care_network",
        data__contains="health_plan",
    ).exists()


def test_marking_done_from_the_start_page_comes_back_and_the_row_is_gone(
    login, nurse, physio_in_network, shared_patient
):
    _problem, [action] = plan_with(nurse, shared_patient, owner=membership(physio_in_network))
    client = login(physio_in_network)
    response = client.post(
        reverse("healthplan:action-status", args=[shared_patient.pk, action.pk]),
        {"status": "done", "next": reverse("home")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    action.refresh_from_db()
    assert action.status == "done" and action.done_by == physio_in_network
    block, response = _my_actions(client)
    assert block.count == 0
    assert "Actie klaar: Actie 0.0" in response.content.decode()


def test_a_next_address_elsewhere_is_not_followed(login, nurse, physio_in_network, shared_patient):
    _problem, [action] = plan_with(nurse, shared_patient, owner=membership(physio_in_network))
    response = login(physio_in_network).post(
        reverse("healthplan:action-status", args=[shared_patient.pk, action.pk]),
        {"status": "done", "next": "https://evil.example/"},
    )
    assert response["Location"].startswith(reverse("healthplan:plan", args=[shared_patient.pk]))


def test_after_leaving_the_care_network_the_action_is_no_longer_listed(
    client, nurse, physio_in_network, shared_patient
):
    plan_with(nurse, shared_patient, owner=membership(physio_in_network))
    shared_patient.network.filter(user=physio_in_network).update(ended_at=timezone.now())
    client.force_login(physio_in_network)
    block, response = _my_actions(client)
    assert block.count == 0
    assert shared_patient.formal_name not in response.content.decode()
