"""Care pathways: kept by the helpdesk; a missing required episode warns before sending."""

from __future__ import annotations

import pytest
from django.urls import reverse

from network.access import patient_access_for
from referrals.models import CarePathway
from referrals.selectors import pathway_warnings
from tests.conversations.conftest import actor_for
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def diabetes(db):
    return CarePathway.objects.create(
        name="Diabetes",
        required_icpc=["T90"],
        requirement_text="Een diabetesverwijzing vraagt een episode T90 (diabetes mellitus).",
    )


def warnings(gp, patient, pathway):
    actor = actor_for(gp)
    return pathway_warnings(access=patient_access_for(actor=actor, pk=patient.pk), pathway=pathway)


def test_a_patient_without_the_required_episode_gets_the_pathways_warning(gp, patient, diabetes):
    EpisodeFactory(patient=patient, icpc_code="K86", title="Hypertensie")

    assert warnings(gp, patient, diabetes) == [
        "Een diabetesverwijzing vraagt een episode T90 (diabetes mellitus)."
    ]


def test_a_sub_code_of_the_required_episode_is_enough(gp, patient, diabetes):
    EpisodeFactory(patient=patient, icpc_code="T90.02", title="Diabetes mellitus type 2")

    assert warnings(gp, patient, diabetes) == []


def test_a_resolved_episode_does_not_count(gp, patient, diabetes):
    EpisodeFactory(patient=patient, icpc_code="T90", title="Diabetes", status="resolved")

    assert warnings(gp, patient, diabetes) != []


def test_without_an_explanation_the_warning_names_the_codes(gp, patient):
    pathway = CarePathway.objects.create(name="COPD", required_icpc=["R95"])

    assert warnings(gp, patient, pathway) == [
        "Het zorgpad COPD vraagt een episode met ICPC-code R95."
    ]


def test_a_pathway_without_requirements_never_warns(gp, patient):
    assert warnings(gp, patient, CarePathway.objects.create(name="Kwetsbare ouderen")) == []


@pytest.fixture
def helpdesk_client(client, helpdesk):
    client.force_login(helpdesk)
    return client


def test_the_helpdesk_adds_a_pathway_and_a_wrong_code_is_refused(helpdesk_client):
    admin_client_2fa = helpdesk_client
    url = reverse("admin:referrals_carepathway_add")
    refused = admin_client_2fa.post(
        url, {"name": "Diabetes", "is_active": "on", "required_icpc": "T90, diabetes"}
    )
    assert refused.status_code == 200
    assert "Geen ICPC-code: DIABETES." in refused.content.decode()
    assert not CarePathway.objects.exists()

    admin_client_2fa.post(url, {"name": "Diabetes", "is_active": "on", "required_icpc": "t90, T89"})
    assert CarePathway.objects.get().required_icpc == ["T90", "T89"]
