"""Working on behalf of another organisation one is a member of."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.levels import Level
from accounts.selectors import ACTIVE_ORGANISATION_SESSION_KEY
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

SWITCHER = 'id="organisation-switch"'


@pytest.fixture
def second_practice(gp):
    """The gp also works (level C) in a second practice, which sorts after De Linde."""
    practice = OrganisationFactory(name="Huisartsenpraktijk Zonnedauw", agb_code="01077777")
    MembershipFactory(user=gp, organisation=practice, level=Level.C)
    return practice


def _active(client):
    return client.get(reverse("home")).context["membership"]


def test_first_organisation_is_active_until_the_user_switches(
    client, gp, practice, second_practice
):
    client.force_login(gp)
    assert _active(client).organisation == practice


def test_member_of_two_organisations_switches_and_the_start_page_follows(
    client, gp, second_practice
):
    client.force_login(gp)
    response = client.post(
        reverse("network:organisation-switch"), {"organisation": second_practice.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session[ACTIVE_ORGANISATION_SESSION_KEY] == second_practice.pk

    home = client.get(reverse("home"))
    membership = home.context["membership"]
    assert membership.organisation == second_practice
    assert membership.level == Level.C  # the position in that practice, not level A
    content = home.content.decode()
    assert f'<option value="{second_practice.pk}" selected>' in content
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert f'<p class="fs-5 mb-1">{second_practice.name}</p>' in profile


def test_switching_back_works(client, gp, practice, second_practice):
    client.force_login(gp)
    client.post(reverse("network:organisation-switch"), {"organisation": second_practice.pk})
    client.post(reverse("network:organisation-switch"), {"organisation": practice.pk})
    assert _active(client).organisation == practice


def test_switching_to_an_organisation_one_is_not_a_member_of_is_404(
    client, gp, practice, second_practice, other_practice
):
    client.force_login(gp)
    client.post(reverse("network:organisation-switch"), {"organisation": second_practice.pk})
    for organisation_id in (other_practice.pk, 999_999, "", "abc"):
        response = client.post(
            reverse("network:organisation-switch"), {"organisation": organisation_id}
        )
        assert response.status_code == 404
        assert client.session[ACTIVE_ORGANISATION_SESSION_KEY] == second_practice.pk
    assert _active(client).organisation == second_practice


def test_switching_to_an_organisation_whose_membership_ended_is_404(
    client, gp, practice, second_practice
):
    gp.memberships.filter(organisation=second_practice).update(is_active=False)
    client.force_login(gp)
    response = client.post(
        reverse("network:organisation-switch"), {"organisation": second_practice.pk}
    )
    assert response.status_code == 404
    assert _active(client).organisation == practice


def test_when_the_active_membership_ends_the_other_organisation_takes_over(
    client, gp, practice, second_practice
):
    client.force_login(gp)
    client.post(reverse("network:organisation-switch"), {"organisation": second_practice.pk})
    gp.memberships.filter(organisation=second_practice).update(is_active=False)
    assert _active(client).organisation == practice


def test_organisation_switch_is_post_only(client, gp, second_practice):
    client.force_login(gp)
    response = client.get(
        reverse("network:organisation-switch"), {"organisation": second_practice.pk}
    )
    assert response.status_code == 405
    assert ACTIVE_ORGANISATION_SESSION_KEY not in client.session


def test_organisation_switch_needs_login(client, practice):
    response = client.post(reverse("network:organisation-switch"), {"organisation": practice.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_header_shows_the_switcher_only_with_more_than_one_membership(
    client, gp, assistant, second_practice
):
    client.force_login(gp)
    content = client.get(reverse("home")).content.decode()
    assert SWITCHER in content
    assert f'<option value="{second_practice.pk}"' in content

    client.force_login(assistant)
    content = client.get(reverse("home")).content.decode()
    assert SWITCHER not in content
    # One organisation: just its name in the header.
    assert re.search(
        r'class="org-switcher[^"]*">(<svg .*?</svg>)? Huisartsenpraktijk De Linde</p>', content
    )
