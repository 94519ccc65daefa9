from __future__ import annotations

import datetime

import factory
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from accounts.models import Absence, User
from network.levels import Level, Role
from network.models import Membership, Organisation, OrganisationKind, Team

PASSWORD = "Juiste-paard-batterij-42"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Huisartsenpraktijk Test {n}")
    kind = OrganisationKind.GP_PRACTICE
    agb_code = factory.Sequence(lambda n: f"{10_000_000 + n:08d}")
    city = "Leeuwarden"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.DISTRICT_NURSING)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"zorgverlener{n}@example.nl")
    initials = "A."
    first_name = factory.Sequence(lambda n: f"Anne{n}")
    last_name = factory.Sequence(lambda n: f"Jansen{n}")
    working_days = [1, 2, 3, 4, 5, 6, 7]
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    """Level C in a GP practice by default; pass ``role`` for a network organisation."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    level = factory.LazyAttribute(
        lambda m: Level.C if m.organisation.kind == OrganisationKind.GP_PRACTICE else ""
    )
    role = factory.LazyAttribute(
        lambda m: "" if m.organisation.kind == OrganisationKind.GP_PRACTICE else Role.PROVIDER
    )
    has_patient_data_access = False


class AbsenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Absence

    user = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(timezone.localdate)
    end = factory.LazyAttribute(lambda a: a.start + datetime.timedelta(days=3))
    message = "Met vakantie"


def totp_enable(user: User) -> str:
    """Give ``user`` a TOTP authenticator; returns the base32 secret for computing codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret
