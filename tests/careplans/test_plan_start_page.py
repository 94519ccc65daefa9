"""The start page's "Mijn acties": the owner's open actions, overdue ones marked, one click to
the plan and one click to mark it done; the patient names shown are logged."""

from __future__ import annotations

import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from network.models import AccessLogEntry
from tests.careplans.conftest import access_of, membership, plan_with
from tests.conversations.conftest import actor_for
from tests.conversations.test_consumers import connected, cookie_of  # noqa: F401  (fixture)

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


@pytest.mark.django_db(transaction=True)
def test_an_action_given_to_the_physio_refreshes_their_open_start_page_and_not_the_nurses(
    client,
    nurse,
    physio_in_network,
    shared_patient,
    cookie_of,  # noqa: F811
):
    """Must the physio reload to see a new action? No: the owner's open pages get an "actions"
    frame after the commit (no data in it), and the block, fetched again, holds the action. The
    nurse who wrote it owns nothing here and gets no such frame. Handing the action over tells
    the old owner's page too, so it leaves that list live."""
    from careplans.plan_services import action_add, action_update

    _problem, [own] = plan_with(nurse, shared_patient)  # the nurse's own action, for the goal
    physio_cookie, nurse_cookie = cookie_of(physio_in_network), cookie_of(nurse)
    nurse_actor, nurse_access = actor_for(nurse), access_of(nurse, shared_patient)
    physio_actor = actor_for(physio_in_network)
    physio_access = access_of(physio_in_network, shared_patient)
    physio_member, nurse_member = membership(physio_in_network), membership(nurse)

    async def scenario():
        async with connected(physio_cookie) as physio, connected(nurse_cookie) as nurse_socket:
            action = await database_sync_to_async(action_add)(
                actor=nurse_actor,
                access=nurse_access,
                goal=own.goal,
                description="Looptraining 2x per week",
                owner=physio_member,
            )
            assert (await physio.next("actions")) == {"type": "actions"}
            assert [f["type"] for f in await nurse_socket.rest()].count("actions") == 0
            # The physio hands it back to the nurse: both lists change.
            await database_sync_to_async(action_update)(
                actor=physio_actor,
                access=physio_access,
                action=action,
                version=action.version,
                owner=nurse_member,
            )
            assert (await physio.next("actions")) == {"type": "actions"}
            assert (await nurse_socket.next("actions")) == {"type": "actions"}

    async_to_sync(scenario)()
    client.force_login(nurse)
    block, _response = _my_actions(client)
    assert "Looptraining 2x per week" in [row.title for row in block.rows]
    home = client.get(reverse("home")).content.decode()
    assert 'hx-trigger="live-actions from:body"' in home
