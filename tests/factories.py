from __future__ import annotations

import datetime

import factory
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from accounts.levels import Level, Role
from accounts.models import Absence, Membership, Organisation, OrganisationKind, Team, User
from network.models import (
    CareNetworkMember,
    CareNetworkReason,
    ContraIndication,
    Episode,
    Measurement,
    Medication,
    Patient,
)

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


def _test_bsn(n: int) -> str:
    """A BSN in the test range (9999xxxxx) that passes the eleven test."""
    from accounts.validators import bsn_is_valid

    base = 99990000 + n * 10
    for candidate in range(base * 10, base * 10 + 100):
        if bsn_is_valid(str(candidate)[:9]):
            return str(candidate)[:9]
    raise AssertionError("no test BSN")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    practice = factory.SubFactory(OrganisationFactory)
    his_id = factory.Sequence(lambda n: f"his-{n:05d}")
    bsn = factory.Sequence(lambda n: _test_bsn(n % 900))
    initials = "J."
    first_name = factory.Sequence(lambda n: f"Jantje{n}")
    surname = factory.Sequence(lambda n: f"Patiënt{n}")
    gender = "male"
    birth_date = datetime.date(1950, 6, 1)
    street = "Tuinstraat 12"
    postal_code = "9051 AB"
    city = "Stiens"
    source = "his"


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    his_id = factory.Sequence(lambda n: f"ep-{n}")
    icpc_code = "T90"
    title = "Diabetes mellitus type 2"
    start_date = datetime.date(2015, 1, 1)


class MedicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Medication

    patient = factory.SubFactory(PatientFactory)
    his_id = factory.Sequence(lambda n: f"med-{n}")
    atc_code = "A10BA02"
    name = "Metformine 500 mg tablet"
    dosage = "2 dd 1 tablet"


class ContraIndicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContraIndication

    patient = factory.SubFactory(PatientFactory)
    his_id = factory.Sequence(lambda n: f"ci-{n}")
    description = "Penicilline"
    kind = "allergy"
    is_high_risk = True


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    patient = factory.SubFactory(PatientFactory)
    his_id = factory.Sequence(lambda n: f"obs-{n}")
    loinc_code = "59261-8"
    name = "HbA1c"
    value = 53
    unit = "mmol/mol"
    measured_at = factory.LazyFunction(timezone.now)


class CareNetworkMemberFactory(factory.django.DjangoModelFactory):
    """Pass ``patient`` and ``user``; the organisation is the user's first membership's."""

    class Meta:
        model = CareNetworkMember

    patient = factory.SubFactory(PatientFactory)
    user = factory.SubFactory(UserFactory)
    organisation = factory.LazyAttribute(lambda m: m.user.memberships.first().organisation)
    reason = CareNetworkReason.MANUAL


def totp_enable(user: User) -> str:
    """Give ``user`` a TOTP authenticator; returns the base32 secret for computing codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret
