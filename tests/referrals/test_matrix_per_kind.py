"""What a referral shows its receiver, per kind of organisation and data category.

For every kind of network organisation and every medical category, the matrix row of that kind
allows exactly that one category; a member of an organisation of that kind, referred to, sees
that category's item on the referral page and none of the others'.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.levels import Role
from accounts.models import OrganisationKind
from network.models import AuthorisationRule
from tests.factories import (
    ContraIndicationFactory,
    EpisodeFactory,
    MeasurementFactory,
    MedicationFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    totp_enable,
)
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db

ITEMS = {
    "episodes": "Ulcus cruris rechts",
    "medication": "Metformine-uniek 500 mg",
    "contra_indications": "Pleisterallergie-uniek",
    "measurements": "Enkel-armindex-uniek",
}
# Everyone a practice can refer to (not practices, not the care group that runs the platform).
PARTNER_KINDS = [
    kind
    for kind in OrganisationKind.values
    if kind not in (OrganisationKind.GP_PRACTICE, OrganisationKind.CARE_GROUP)
]


@pytest.fixture
def record(patient):
    EpisodeFactory(patient=patient, icpc_code="S97", title=ITEMS["episodes"])
    MedicationFactory(patient=patient, name=ITEMS["medication"])
    ContraIndicationFactory(patient=patient, description=ITEMS["contra_indications"])
    MeasurementFactory(patient=patient, name=ITEMS["measurements"])
    return patient


@pytest.mark.parametrize("category", sorted(ITEMS))
@pytest.mark.parametrize("kind", PARTNER_KINDS)
def test_the_receiver_sees_exactly_the_categories_its_kind_may_see(
    kind, category, gp, record, login, totp_secret
):
    AuthorisationRule.objects.update_or_create(
        organisation_kind=kind,
        defaults={
            "identity": False,
            "episodes": False,
            "medication": False,
            "contra_indications": False,
            "measurements": False,
            "journal": False,
            category: True,
        },
    )
    partner = OrganisationFactory(name=f"Partner {kind}", kind=kind)
    receiver = UserFactory(email=f"ontvanger-{kind}@example.nl")
    MembershipFactory(user=receiver, organisation=partner, role=Role.PROVIDER)
    totp_secret[receiver.pk] = totp_enable(receiver)
    referral = refer(gp, record, partner)

    page = login(receiver).get(reverse("referrals:detail", args=[referral.pk])).content.decode()

    for other, item in ITEMS.items():
        assert (item in page) == (other == category), f"{kind}: {other} with only {category}"
    assert record.bsn not in page  # identity (NAW) is off
