"""Care pathways and ICPC-1-NL: Dutch GP systems code episodes with NHG subcodes (T90.02), and a
pathway asking for the three-character code (T90) must accept them — as the GP sees it on the
referral form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from referrals.models import CarePathway
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db

DIABETES_TEXT = "Een diabetesverwijzing vraagt een episode T90."
CVRM_TEXT = "CVRM vraagt een episode hypertensie (K86) of een andere K-episode."


@pytest.fixture
def diabetic(patient):
    """The patient as an ICPC-1-NL extraction brings them: diabetes with its NHG subcode."""
    EpisodeFactory(patient=patient, icpc_code="T90.02", title="Diabetes mellitus type 2")
    return patient


@pytest.fixture
def pathways(db):
    return {
        "diabetes": CarePathway.objects.create(
            name="Diabetes mellitus type 2", required_icpc=["T90"], requirement_text=DIABETES_TEXT
        ),
        "cvrm": CarePathway.objects.create(
            name="CVRM", required_icpc=["K86"], requirement_text=CVRM_TEXT
        ),
    }


def _form(client, patient, nursing, pathway):
    return client.get(
        reverse("referrals:create", args=[patient.pk]),
        {"to_organisation": nursing.pk, "care_pathway": pathway.pk},
    ).content.decode()


def test_an_icpc1nl_subcode_satisfies_a_pathway_asking_for_its_code(
    login, gp, diabetic, nursing, pathways
):
    page = _form(login(gp), diabetic, nursing, pathways["diabetes"])

    assert "Dit ziet de ontvanger" in page  # the form with its preview, not an error page
    assert DIABETES_TEXT not in page
    assert 'class="alert alert-warning"' not in page


def test_a_pathway_asking_for_another_code_still_warns(login, gp, diabetic, nursing, pathways):
    page = _form(login(gp), diabetic, nursing, pathways["cvrm"])

    assert CVRM_TEXT in page
    assert page.count('class="alert alert-warning"') == 1


def test_a_resolved_subcoded_episode_does_not_count(login, gp, patient, nursing, pathways):
    EpisodeFactory(
        patient=patient, icpc_code="T90.02", title="Diabetes mellitus type 2", status="resolved"
    )

    assert DIABETES_TEXT in _form(login(gp), patient, nursing, pathways["diabetes"])
