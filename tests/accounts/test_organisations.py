from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.levels import Level, Role
from accounts.models import Membership, Organisation, OrganisationKind
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _organisation(**fields) -> Organisation:
    values = {"name": "Huisartsenpraktijk De Wielen", "kind": OrganisationKind.GP_PRACTICE}
    return Organisation(**(values | fields))


@pytest.mark.parametrize("agb_code", ["0101234", "010123456", "0101234a", "ABCDEFGH", "0101 234"])
def test_organisation_agb_code_must_be_eight_digits(agb_code):
    with pytest.raises(ValidationError) as excinfo:
        _organisation(agb_code=agb_code).full_clean()
    assert "agb_code" in excinfo.value.error_dict


@pytest.mark.parametrize("agb_code", ["01012345", ""])
def test_organisation_with_eight_digit_or_no_agb_code_is_valid(agb_code):
    _organisation(agb_code=agb_code).full_clean()


def test_two_organisations_cannot_share_an_agb_code():
    OrganisationFactory(agb_code="01012345")
    with pytest.raises(ValidationError) as excinfo:
        _organisation(agb_code="01012345").full_clean()
    assert excinfo.value.messages  # the unique constraint is reported by full_clean
    with pytest.raises(IntegrityError), transaction.atomic():
        _organisation(agb_code="01012345").save()
    assert Organisation.objects.filter(agb_code="01012345").count() == 1


def test_many_organisations_may_have_no_agb_code():
    _organisation(agb_code="").save()
    second = _organisation(agb_code="", name="Apotheek Zonder AGB")
    second.full_clean()
    second.save()
    assert Organisation.objects.filter(agb_code="").count() == 2


@pytest.mark.parametrize("postal_code", ["8911 AB", "8911AB", "9051cd"])
def test_dutch_postal_codes_are_accepted(postal_code):
    _organisation(postal_code=postal_code).full_clean()


@pytest.mark.parametrize("postal_code", ["0911 AB", "891 AB", "8911 A1", "8911-AB", "SW1A 1AA"])
def test_other_postal_codes_are_rejected(postal_code):
    with pytest.raises(ValidationError) as excinfo:
        _organisation(postal_code=postal_code).full_clean()
    assert "postal_code" in excinfo.value.error_dict


def test_gp_practice_membership_needs_a_level_and_no_role(practice):
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        Membership(user=user, organisation=practice).full_clean()
    assert "level" in excinfo.value.error_dict
    with pytest.raises(ValidationError) as excinfo:
        Membership(user=user, organisation=practice, level=Level.C, role=Role.LEAD).full_clean()
    assert "role" in excinfo.value.error_dict
    Membership(user=user, organisation=practice, level=Level.C).full_clean()


def test_network_membership_needs_a_role_and_no_level(nursing):
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        Membership(user=user, organisation=nursing).full_clean()
    assert "role" in excinfo.value.error_dict
    with pytest.raises(ValidationError) as excinfo:
        Membership(user=user, organisation=nursing, level=Level.A, role=Role.LEAD).full_clean()
    assert "level" in excinfo.value.error_dict
    Membership(user=user, organisation=nursing, role=Role.LEAD).full_clean()


def test_a_user_is_a_member_of_an_organisation_only_once(gp, practice):
    with pytest.raises(ValidationError):
        Membership(user=gp, organisation=practice, level=Level.B).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=gp, organisation=practice, level=Level.B)
    assert Membership.objects.filter(user=gp, organisation=practice).count() == 1


def test_position_label_is_the_level_or_the_role(gp, nurse):
    assert gp.memberships.get().position_label == str(Level.A.label)
    assert nurse.memberships.get().position_label == str(Role.LEAD.label)
