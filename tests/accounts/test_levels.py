"""The levels table says exactly what the care group's staff instruction (seed 002) says.

Every expectation below is written out capability by capability, with the line of the
instruction it comes from, so a change to ``accounts/levels.py`` that drifts from the
instruction fails here.
"""

from __future__ import annotations

import pytest

from accounts.levels import (
    LEVEL_CAPABILITIES,
    ROLE_CAPABILITIES,
    Capability,
    Level,
    Role,
    capabilities_for,
)
from accounts.models import OrganisationKind
from accounts.selectors import memberships_for
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

C = Capability


def _can(user, capability, organisation) -> bool:
    """What a request finds: the user's active membership of ``organisation`` (as
    ``memberships_for`` loads them for the middleware), asked ``Membership.can``."""
    return any(
        membership.organisation_id == organisation.pk and membership.can(capability)
        for membership in memberships_for(user=user)
    )


# "Samenwerken" (patiëntenoverzicht, verwijzen, consulteren, thuismetingen) includes inviting
# providers from outside the practice: the instruction has the practice do that itself
# ("Klik op uitnodigen zorgverleners"), from within Samenwerken.
COLLABORATION = {C.COLLABORATE, C.INVITE_PROVIDERS}

EXPECTED_LEVEL_CAPABILITIES: dict[str, set[Capability]] = {
    # "Een gebruiker van level A mag alle functies van VIPLive gebruiken waar de praktijk recht
    #  op heeft." — and only level A assigns staff ("alleen toegang ... wanneer iemand met een
    #  level A uit de praktijk dit toewijst").
    Level.A: set(Capability),
    # "Een gebruiker van level B kan bij enkele functies van Declareren (Praktijkdeclaraties -
    #  handmatige facturen, aandacht nodig) en Controles (COV, ION en per patiënt)."
    Level.B: {C.BILLING_PRACTICE, C.BILLING_CHECKS},
    # "... dezelfde mogelijkheden als ... level B, maar kan ook bij de bundeloverzichten van de
    #  praktijk- en zorggroepdeclaraties en heeft beperkte toegang tot Inzicht
    #  (ketenzorgdashboard en populatiedashboard)."
    Level.B_PLUS: {
        C.BILLING_PRACTICE,
        C.BILLING_CHECKS,
        C.BILLING_BUNDLE_OVERVIEW,
        C.DASHBOARDS,
    },
    # "... kan de zorggroepdeclaraties uitvoeren (zonder bedragen in te zien) ... beperkte
    #  toegang tot de Zorggroepdeclaraties (Bundeloverzicht) en Inzicht (rapporten en
    #  dashboards) ... toegang tot Samenwerken ... kan extracties uploaden ... en berichten
    #  sturen en ontvangen."
    Level.C: {
        C.BILLING_CARE_GROUP,
        C.BILLING_BUNDLE_OVERVIEW,
        C.REPORTS,
        C.DASHBOARDS,
        *COLLABORATION,
        C.UPLOAD_EXTRACTION,
        C.MESSAGES,
    },
    # "... dezelfde mogelijkheden als ... level C, waarbij ... level C+ ook de bedragen van de
    #  Zorggroepdeclaraties mag inzien."
    Level.C_PLUS: {
        C.BILLING_CARE_GROUP,
        C.BILLING_CARE_GROUP_AMOUNTS,
        C.BILLING_BUNDLE_OVERVIEW,
        C.REPORTS,
        C.DASHBOARDS,
        *COLLABORATION,
        C.UPLOAD_EXTRACTION,
        C.MESSAGES,
    },
    # "... toegang tot de rapporten, ketenzorgdashboard en ketenzorgdeclaraties (aantallen).
    #  De gebruiker kan extracties uploaden."
    Level.D: {C.REPORTS, C.DASHBOARDS, C.BILLING_CHAIN_COUNTS, C.UPLOAD_EXTRACTION},
    # "... kan alle ketenzorgacties rondom de patiënt uitvoeren ('Samenwerken') ... De gebruiker
    #  kan berichten sturen en ontvangen."
    Level.E: {*COLLABORATION, C.MESSAGES},
}

EXPECTED_ROLE_CAPABILITIES: dict[str, set[Capability]] = {
    Role.PROVIDER: {C.COLLABORATE, C.MESSAGES},
    # Only the lead provider (hoofdzorgverlener) invites colleagues of their own organisation.
    Role.LEAD: {C.COLLABORATE, C.MESSAGES, C.INVITE_COLLEAGUES},
}


def test_every_level_of_the_instruction_is_in_the_table():
    assert set(LEVEL_CAPABILITIES) == set(Level.values) == set(EXPECTED_LEVEL_CAPABILITIES)


@pytest.mark.parametrize("level", list(Level))
def test_level_has_exactly_the_capabilities_the_instruction_describes(level):
    assert capabilities_for(kind=OrganisationKind.GP_PRACTICE, level=level) == frozenset(
        EXPECTED_LEVEL_CAPABILITIES[level]
    )


@pytest.mark.parametrize("role", list(Role))
def test_network_role_has_exactly_its_capabilities(role):
    assert set(ROLE_CAPABILITIES[role]) == EXPECTED_ROLE_CAPABILITIES[role]
    for kind in (OrganisationKind.DISTRICT_NURSING, OrganisationKind.PHYSIOTHERAPY):
        assert capabilities_for(kind=kind, role=role) == frozenset(EXPECTED_ROLE_CAPABILITIES[role])


@pytest.mark.django_db
@pytest.mark.parametrize("level", list(Level))
def test_membership_answers_per_capability_as_the_table_says(level):
    practice = OrganisationFactory()
    membership = MembershipFactory(organisation=practice, level=level)
    for capability in Capability:
        expected = capability in EXPECTED_LEVEL_CAPABILITIES[level]
        assert membership.can(capability) is expected, (level, capability)
        assert _can(membership.user, capability, practice) is expected, capability


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "capability"),
    [
        (Level.B, C.BILLING_BUNDLE_OVERVIEW),
        (Level.B, C.DASHBOARDS),
        (Level.B_PLUS, C.REPORTS),
        (Level.B_PLUS, C.COLLABORATE),
        (Level.C, C.BILLING_CARE_GROUP_AMOUNTS),
        (Level.C, C.MANAGE_STAFF),
        (Level.D, C.COLLABORATE),
        (Level.D, C.MESSAGES),
        (Level.E, C.UPLOAD_EXTRACTION),
        (Level.E, C.MANAGE_STAFF),
        (Level.E, C.BILLING_PRACTICE),
    ],
)
def test_lower_levels_are_refused_what_the_instruction_does_not_give_them(level, capability):
    membership = MembershipFactory(organisation=OrganisationFactory(), level=level)
    assert not _can(membership.user, capability, membership.organisation)


@pytest.mark.django_db
def test_only_a_lead_provider_may_invite_colleagues(nurse, physio, nursing, physio_practice):
    assert _can(nurse, C.INVITE_COLLEAGUES, nursing)
    assert not _can(physio, C.INVITE_COLLEAGUES, physio_practice)
    for user, organisation in ((nurse, nursing), (physio, physio_practice)):
        assert _can(user, C.COLLABORATE, organisation)
        assert _can(user, C.MESSAGES, organisation)
        assert not _can(user, C.MANAGE_STAFF, organisation)
        assert not _can(user, C.BILLING_PRACTICE, organisation)


@pytest.mark.django_db
def test_care_group_staff_only_exchange_messages():
    membership = MembershipFactory(
        organisation=OrganisationFactory(kind=OrganisationKind.CARE_GROUP), role=Role.PROVIDER
    )
    assert membership.capabilities == frozenset({C.MESSAGES})


@pytest.mark.django_db
def test_no_capability_after_the_membership_ended(gp, practice):
    assert _can(gp, C.COLLABORATE, practice)
    membership = gp.memberships.get()
    membership.is_active = False
    membership.save()
    assert not _can(gp, C.COLLABORATE, practice)
    assert membership.capabilities == frozenset()
    assert not membership.can(C.COLLABORATE)


@pytest.mark.django_db
def test_no_capability_for_a_deactivated_user(gp, practice):
    gp.is_active = False
    gp.save()
    assert not _can(gp, C.COLLABORATE, practice)


@pytest.mark.django_db
def test_no_capability_in_a_deactivated_organisation(gp, practice):
    practice.is_active = False
    practice.save()
    assert not _can(gp, C.COLLABORATE, practice)


@pytest.mark.django_db
def test_no_capability_in_another_organisation(gp, outsider, practice, other_practice):
    assert _can(outsider, C.COLLABORATE, other_practice)
    assert not _can(outsider, C.COLLABORATE, practice)
    assert not _can(gp, C.MANAGE_STAFF, other_practice)


@pytest.mark.django_db
def test_nobody_and_a_user_without_membership_can_do_nothing(practice):
    from django.contrib.auth.models import AnonymousUser

    assert not _can(AnonymousUser(), C.MESSAGES, practice)
    assert not _can(UserFactory(), C.MESSAGES, practice)
