"""Wording bugs testers found in issue 15, each as the user read it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.levels import Role
from accounts.models import OrganisationKind
from accounts.presence import online_touch
from tests.factories import MembershipFactory, OrganisationFactory, PatientFactory
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


def test_referral_list_says_to_whom_not_until_when(secure_client, gp, shared_patient, nursing):
    """ "To" of a recipient and "To" of a date range are two words in Dutch (msgctxt)."""
    refer(gp, shared_patient, nursing)

    page = _text(secure_client(gp).get(reverse("referrals:list"), {"tab": "sent"}))

    assert "Aan Thuiszorg Friesland" in page
    assert "Tot en met" not in page


def test_access_overview_filter_still_says_tot_en_met(secure_client, gp, patient):
    page = _text(secure_client(gp).get(reverse("network:patient-access-log", args=[patient.pk])))
    assert "Van" in page and "Tot en met" in page


def test_referral_preview_names_the_receivers_kind_not_yours(
    secure_client, gp, patient, pharmacy_with_nothing_shared
):
    page = _text(
        secure_client(gp).get(
            reverse("referrals:create", args=[patient.pk]),
            {"to_organisation": pharmacy_with_nothing_shared.pk},
        )
    )
    assert "Niet gedeeld met Apotheek De Elfsteden (Apotheek)." in page
    assert "jouw soort organisatie" not in page


@pytest.fixture
def pharmacy_with_nothing_shared(db):
    from network.models import AuthorisationRule

    pharmacy = OrganisationFactory(name="Apotheek De Elfsteden", kind=OrganisationKind.PHARMACY)
    AuthorisationRule.objects.filter(organisation_kind=OrganisationKind.PHARMACY).update(
        episodes=False, measurements=False, journal=False
    )
    return pharmacy


def test_a_colleague_online_on_a_day_off_is_not_said_to_be_away_from_work(client, gp, assistant):
    """Shown online and told "werkt vandaag niet" contradicted each other: the warning now
    says where it comes from (the schedule), which stays true while he is online."""
    assistant.working_days = []
    assistant.save(update_fields=["working_days"])
    online_touch(assistant.pk)
    client.force_login(gp)

    page = _text(client.get(reverse("conversations:recipient-search"), {"q": "Bosma"}))

    assert "Volgens het rooster werkt Aaltje Bosma vandaag niet" in page
    assert "Aaltje Bosma werkt vandaag niet" not in page


def test_the_helpdesk_is_called_helpdesk_not_zorgverlener(secure_client, helpdesk):
    care_group = OrganisationFactory(name="Ketenzorg Friesland", kind=OrganisationKind.CARE_GROUP)
    MembershipFactory(user=helpdesk, organisation=care_group, role=Role.PROVIDER)

    client = secure_client(helpdesk)
    # The role is on the profile page now (the start page is the day's work).
    profile = _text(client.get(reverse("accounts:profile")))
    home = _text(client.get(reverse("home")))

    assert re.search(r"Je level of rol\s*Helpdesk", profile), profile
    assert "Zorgverlener" not in profile
    assert "Zorgverlener" not in home


def test_a_care_group_member_who_is_not_helpdesk_staff_keeps_their_role(db):
    care_group = OrganisationFactory(kind=OrganisationKind.CARE_GROUP)
    membership = MembershipFactory(organisation=care_group, role=Role.LEAD)
    assert membership.position_label == str(Role.LEAD.label)


def test_patients_with_the_same_name_are_told_apart_by_his_number(secure_client, gp, practice):
    for his_id in ("linde-0101", "linde-0102"):
        PatientFactory(
            practice=practice,
            his_id=his_id,
            initials="J.",
            first_name="Jan",
            surname="Jansen",
            birth_date=datetime.date(1950, 6, 1),
        )
    html = secure_client(gp).get(reverse("network:patient-list")).content.decode()

    rows = re.findall(r"<tr>\s*<td><a [^>]*>Jansen, J\.</a></td>(.*?)</tr>", html, flags=re.S)
    assert len(rows) == 2, html
    assert "linde-0101" in rows[0] + rows[1] and "linde-0102" in rows[0] + rows[1]
    assert "HIS-nummer" in html
