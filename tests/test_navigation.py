"""The main menu and the start page it starts from."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.levels import Capability, Level
from accounts.models import Membership
from regiozorg import navigation
from regiozorg.navigation import Section, sections_for
from tests.factories import AbsenceFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_ONLY = Section("staff-test", "Staff only", "accounts:profile", Capability.MANAGE_STAFF)
NOT_LANDED = Section("not-landed", "Not built yet", "nowhere:does-not-exist")


@pytest.fixture
def fake_sections(monkeypatch):
    sections = (navigation.SECTIONS[0], STAFF_ONLY, NOT_LANDED)
    monkeypatch.setattr(navigation, "SECTIONS", sections)
    return sections


def _keys(membership) -> list[str]:
    return [section["key"] for section in sections_for(membership)]


def _membership(user) -> Membership:
    return user.memberships.select_related("organisation").get()


def test_section_whose_url_does_not_exist_is_hidden(fake_sections, gp):
    assert _keys(_membership(gp)) == ["home", "staff-test"]


def test_section_needing_a_capability_is_hidden_without_it(fake_sections, practice):
    level_b = MembershipFactory(organisation=practice, level=Level.B)
    assert _keys(level_b) == ["home"]


def test_section_needing_a_capability_shows_with_it(fake_sections, gp):
    sections = sections_for(_membership(gp))
    assert {
        "key": "staff-test",
        "label": "Staff only",
        "url": reverse("accounts:profile"),
        "icon": "chevron-right",
    } in (sections)


def test_capability_sections_are_hidden_without_an_active_membership(fake_sections):
    assert _keys(None) == ["home"]


def test_ended_membership_sees_no_capability_sections(fake_sections, gp):
    membership = _membership(gp)
    membership.is_active = False
    assert _keys(membership) == ["home"]


def test_main_menu_on_the_page_follows_the_capability(client, fake_sections, gp, manager):
    staff_link = re.compile(
        rf'href="{reverse("accounts:profile")}">(<svg [^>]*>.*?</svg>)?'
        r'<span class="nav-label">Staff only<'
    )
    client.force_login(manager)  # level B+: no staff management
    assert not staff_link.search(client.get(reverse("home")).content.decode())
    client.force_login(gp)  # level A
    assert staff_link.search(client.get(reverse("home")).content.decode())


def test_real_menu_shows_start_and_colleagues_to_every_member(assistant, physio):
    for user in (assistant, physio):
        keys = _keys(_membership(user))
        assert keys[0] == "home"
        assert "colleagues" in keys
        assert "staff" not in keys  # manage_staff is level A only, whether or not it has landed


# --- Start page (its blocks: tests/test_start_page.py) ------------------------------------


def test_start_page_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_profile_page_shows_organisation_and_the_users_level(client, manager, practice):
    """What the start page used to show about the organisation is on the profile page now."""
    client.force_login(manager)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Huisartsenpraktijk De Linde" in content
    assert "01012345" in content  # the practice's AGB code
    with translation.override("nl"):
        level_label = str(Level.B_PLUS.label)
    assert f">{level_label}<" in content
    assert response.context["membership"].organisation == practice
    assert "01012345" not in client.get(reverse("home")).content.decode()


def test_profile_page_shows_the_role_of_a_network_partner(client, nurse):
    from accounts.levels import Role

    client.force_login(nurse)
    content = client.get(reverse("accounts:profile")).content.decode()
    assert "Thuiszorg Friesland" in content
    with translation.override("nl"):
        assert f">{Role.LEAD.label}<" in content


def test_start_page_shows_at_most_5_absent_colleagues_and_not_the_user(client, gp, practice):
    for n in range(8):
        user = UserFactory(first_name=f"Collega{n:02d}", last_name="Linde")
        MembershipFactory(user=user, organisation=practice)
        AbsenceFactory(user=user)
    AbsenceFactory(user=gp)
    other = OrganisationFactory(name="Elders")
    elsewhere = UserFactory(first_name="Elders", last_name="Werkzaam")
    MembershipFactory(user=elsewhere, organisation=other)
    AbsenceFactory(user=elsewhere)
    client.force_login(gp)
    response = client.get(reverse("home"))
    content = response.content.decode()
    absent = next(b for b in response.context["blocks"] if b.key == "absent")
    assert absent.count == 8
    assert len(absent.rows) == 5
    assert sum(f"Collega{n:02d} Linde" in content for n in range(8)) == 5
    assert "Gerrit Postma</a>" not in content
    assert "Elders Werkzaam" not in content


def test_start_page_leaves_out_absent_colleagues_who_left(client, gp, practice):
    left = UserFactory(first_name="Vertrokken", last_name="Collega")
    MembershipFactory(user=left, organisation=practice, is_active=False)
    AbsenceFactory(user=left)
    client.force_login(gp)
    assert "Vertrokken Collega" not in client.get(reverse("home")).content.decode()


def test_start_page_for_a_user_without_organisation_still_renders(client):
    user = UserFactory(first_name="Zonder", last_name="Organisatie")
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["membership"] is None
    assert response.context["blocks"] == []
