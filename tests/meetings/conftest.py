"""Fixtures for the MDO: the gp of De Linde chairs a meeting about Sjoerd (``shared_patient``,
visible, the district nurse in his care network) and Geertje (``patient``, not visible); the
nurse takes part. Built through the services, as the pages would."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from meetings import services
from meetings.access import item_get_for, meeting_get_for
from network.access import patient_access_for
from tests.conversations.conftest import actor_for, login, membership_of  # noqa: F401
from tests.factories import CareNetworkMemberFactory


def held_at():
    return timezone.make_aware(datetime.datetime(2026, 12, 11, 15, 0))


def meeting_by(chair, *, title="MDO ouderenzorg"):
    return services.meeting_create(actor=actor_for(chair), title=title, held_at=held_at())


def add_participant(chair, meeting, user):
    from meetings.selectors import participant_candidates_for

    actor = actor_for(chair)
    access = meeting_get_for(actor=actor, pk=meeting.pk)
    return services.participant_add(
        actor=actor,
        access=access,
        membership=membership_of(user),
        allowed=participant_candidates_for(actor=actor, access=access),
    )


def add_item(chair, meeting, patient, question="Hoe verder met de zorg thuis?"):
    actor = actor_for(chair)
    return services.item_add(
        actor=actor,
        access=meeting_get_for(actor=actor, pk=meeting.pk),
        patient_access=patient_access_for(actor=actor, pk=patient.pk),
        question=question,
    )


def item_access(user, meeting, item):
    actor = actor_for(user)
    return item_get_for(
        actor=actor, meeting=meeting_get_for(actor=actor, pk=meeting.pk), pk=item.pk, log=False
    )


@pytest.fixture
def physio_in_network(physio, physio_practice, shared_patient):
    CareNetworkMemberFactory(patient=shared_patient, user=physio, organisation=physio_practice)
    return physio


@pytest.fixture
def mdo(gp, nurse, patient, shared_patient):
    """The gp's MDO: Sjoerd (visible, the nurse sees him) and Geertje (the nurse may not see
    her, although she is in Geertje's care network); the nurse takes part."""
    CareNetworkMemberFactory(
        patient=patient, user=nurse, organisation=membership_of(nurse).organisation
    )
    meeting = meeting_by(gp)
    shared_item = add_item(gp, meeting, shared_patient, "Sjoerd: insuline thuis of niet?")
    hidden_item = add_item(gp, meeting, patient, "Geertje: valrisico en woonsituatie")
    add_participant(gp, meeting, nurse)
    return meeting, shared_item, hidden_item
