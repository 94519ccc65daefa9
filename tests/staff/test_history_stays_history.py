"""Ended memberships and deactivated people are history: the practice cannot change them, and
the admin cannot move a membership to another person or organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AccountRequest, Membership
from tests.factories import OrganisationFactory
from tests.staff.fixtures_requests import colleague_membership


@pytest.fixture
def ended(practice):
    membership = colleague_membership(practice, email="vertrokken@delinde.nl")
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    return membership


@pytest.fixture
def deactivated(practice):
    membership = colleague_membership(practice, email="gedeactiveerd@delinde.nl")
    membership.user.is_active = False
    membership.user.save()
    return membership


@pytest.mark.parametrize("who", ["ended", "deactivated"])
def test_level_change_and_access_are_404_for_history(client, gp, request, who):
    membership = request.getfixturevalue(who)
    client.force_login(gp)

    level = client.post(
        reverse("accounts:level-change", args=[membership.pk]), {"level": "A", "remarks": ""}
    )
    access = client.post(
        reverse("accounts:patient-data-access", args=[membership.pk]), {"granted": "on"}
    )

    assert (level.status_code, access.status_code) == (404, 404)
    membership.refresh_from_db()
    assert not membership.has_patient_data_access
    assert not AccountRequest.objects.exists()


def test_the_admin_refuses_to_move_a_membership_to_another_organisation(
    client, helpdesk, practice, assistant
):
    membership = Membership.objects.get(user=assistant, organisation=practice)
    elsewhere = OrganisationFactory(name="Huisartsenpraktijk Elders")
    client.force_login(helpdesk)

    response = client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {
            "user": assistant.pk,
            "organisation": elsewhere.pk,
            "level": membership.level,
            "role": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 200  # the form comes back with the error
    assert "organisation" in response.context["adminform"].form.errors
    membership.refresh_from_db()
    assert membership.organisation == practice
