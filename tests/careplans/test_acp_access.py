"""Who records and who reads a patient's advance care plan (must-show 1 and 7)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from careplans.models import AcpVersion
from network.models import AccessAction, AccessLogEntry, AccessOutcome
from tests.careplans.acp_helpers import form_data, record
from tests.factories import CareNetworkMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(shared_patient, physio):
    """Sjoerd (visible) with the district nurse and the physiotherapist in his care network."""
    CareNetworkMemberFactory(patient=shared_patient, user=physio)
    return shared_patient


@pytest.fixture
def plan(gp, nurse, network):
    """Version 1, which the patient agreed to share with the district nurse only."""
    return record(gp, network, shared_with_users=[nurse])


def test_gp_records_the_plan_and_reads_it_back(secure_client, gp, network, nurse):
    client = secure_client(gp)
    members = list(network.network.filter(user=nurse))
    response = client.post(
        reverse("careplans:acp-edit", args=[network.pk]), form_data(shared_with=members)
    )
    assert response.status_code == 302
    version = AcpVersion.objects.get(plan__patient=network)
    assert version.number == 1 and version.created_by == gp
    assert version.present == [
        {"name": "Anne van der Meer", "role": "dochter", "relation": "mantelzorger"}
    ]
    page = client.get(reverse("careplans:acp-detail", args=[network.pk])).content.decode()
    assert "Niet reanimeren" in page  # the headline badge
    assert "Wordt niet uitgevoerd" in page or "Niet uitvoeren" in page


def test_nurse_chosen_by_the_patient_reads_but_may_not_edit(secure_client, nurse, network, plan):
    client = secure_client(nurse)
    page = client.get(reverse("careplans:acp-detail", args=[network.pk]))
    assert page.status_code == 200
    assert "Niet reanimeren, besproken met dochter" in page.content.decode()
    assert "Nieuwe versie vastleggen" not in page.content.decode()
    for method in ("get", "post"):
        response = getattr(client, method)(
            reverse("careplans:acp-edit", args=[network.pk]), form_data(based_on=1)
        )
        assert response.status_code == 403
    assert AcpVersion.objects.count() == 1


def test_physio_in_the_same_network_not_chosen_gets_404_everywhere(
    secure_client, physio, network, plan
):
    client = secure_client(physio)
    # The physio sees the patient (care network) ...
    assert client.get(reverse("network:patient-detail", args=[network.pk])).status_code == 200
    # ... but for them there is no plan: no badge, no tab, 404 on every page of it.
    patient_page = client.get(reverse("network:patient-detail", args=[network.pk])).content
    assert b"Niet reanimeren" not in patient_page
    assert reverse("careplans:acp-detail", args=[network.pk]).encode() not in patient_page
    for name in ("acp-detail", "acp-history", "acp-pdf", "acp-compare", "acp-edit", "acp-fhir"):
        assert client.get(reverse(f"careplans:{name}", args=[network.pk])).status_code == 404
    assert client.get(reverse("careplans:acp-version", args=[network.pk, 1])).status_code == 404
    refused = AccessLogEntry.objects.filter(
        user=physio, patient=network, outcome=AccessOutcome.DENIED
    )
    assert refused.filter(relationship="care_network").exists()


def test_an_outsider_and_the_hidden_patient_give_404(secure_client, outsider, nurse, gp, patient):
    CareNetworkMemberFactory(patient=patient, user=nurse)
    record(gp, patient, shared_with_users=[nurse])  # shared with her, but not visible
    for user in (outsider, nurse):
        client = secure_client(user, client=Client())
        assert client.get(reverse("careplans:acp-detail", args=[patient.pk])).status_code == 404


def test_sharing_ends_with_a_new_version_without_her(
    secure_client, gp, nurse, physio, network, plan
):
    record(gp, network, shared_with_users=[physio])
    assert (
        secure_client(nurse, client=Client())
        .get(reverse("careplans:acp-detail", args=[network.pk]))
        .status_code
        == 404
    )


def test_every_read_and_download_is_logged_with_the_true_relationship(
    secure_client, gp, nurse, network, plan
):
    secure_client(gp).get(reverse("careplans:acp-detail", args=[network.pk]))
    nurse_client = secure_client(nurse, client=Client())
    nurse_client.get(reverse("careplans:acp-detail", args=[network.pk]))
    nurse_client.get(reverse("careplans:acp-pdf", args=[network.pk]))
    entries = AccessLogEntry.objects.filter(patient=network, data="acp", outcome="allowed")
    assert entries.filter(user=gp, relationship="own_practice", action=AccessAction.READ).exists()
    assert entries.filter(
        user=nurse, relationship="care_network", action=AccessAction.READ
    ).exists()
    assert entries.filter(
        user=nurse, relationship="care_network", action=AccessAction.PRINT
    ).exists()
    assert entries.filter(user=gp, action=AccessAction.CREATE).exists()


# --- Bad input: a clear Dutch error, nothing stored (must-show 7) ---------------------------


def test_without_conversation_date_nothing_is_stored(secure_client, gp, network):
    response = secure_client(gp).post(
        reverse("careplans:acp-edit", args=[network.pk]),
        form_data(conversation_date="", consent_network=None),
    )
    assert response.status_code == 200
    assert "Vul de datum van het gesprek in." in response.content.decode()
    assert "Er is niets opgeslagen" in response.content.decode()
    assert not AcpVersion.objects.exists()


def test_treatment_other_without_specification_is_refused(secure_client, gp, network):
    response = secure_client(gp).post(
        reverse("careplans:acp-edit", args=[network.pk]),
        form_data(resuscitation="other", resuscitation_note="", consent_network=None),
    )
    assert response.status_code == 200
    assert "Je koos „anders” voor reanimatie: beschrijf wat is afgesproken." in (
        response.content.decode()
    )
    assert not AcpVersion.objects.exists()


def test_sharing_with_members_without_consent_is_refused(secure_client, gp, nurse, network):
    members = list(network.network.filter(user=nurse))
    response = secure_client(gp).post(
        reverse("careplans:acp-edit", args=[network.pk]),
        form_data(shared_with=members, consent_network=None),
    )
    assert response.status_code == 200
    assert "De patiënt gaf geen toestemming" in response.content.decode()
    assert not AcpVersion.objects.exists()


def test_a_reader_proposes_an_addition_in_a_conversation_to_the_gp(
    secure_client, gp, nurse, network, plan
):
    client = secure_client(nurse)
    page = client.get(reverse("careplans:acp-detail", args=[network.pk])).content.decode()
    [link] = re.findall(r'href="(/gesprekken/[^"]*)"[^>]*>Aanvulling voorstellen', page)
    form = client.get(html.unescape(link)).content.decode()
    assert "Voorstel aanvulling PZP (versie 1)" in form  # the subject
    assert reverse("careplans:acp-detail", args=[network.pk]) in form  # the body links the plan
    assert gp.full_name in form  # addressed to the GP who recorded it


def test_who_viewed_this_record_names_the_plan_in_dutch(secure_client, gp, nurse, network, plan):
    nurse_client = secure_client(nurse, client=Client())
    nurse_client.get(reverse("careplans:acp-detail", args=[network.pk]))
    nurse_client.get(reverse("careplans:acp-pdf", args=[network.pk]))
    page = secure_client(gp).get(reverse("network:patient-access-log", args=[network.pk]))
    body = page.content.decode()
    assert "proactieve zorgplanning (PZP)" in body
    assert "PZP als PDF" in body
    assert "overige gegevens" not in body and "acp_" not in body
