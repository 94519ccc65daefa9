"""The demo region: idempotent, usable at once, and refused in production mode."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import demo
from accounts.demo import DEMO_PASSWORD, demo_email
from accounts.helpdesk import HELPDESK_GROUP
from accounts.levels import Capability, Level
from accounts.models import Absence, Membership, Organisation, Team, User
from regiozorg.demo import demo_seed
from regiozorg.navigation import sections_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    """The demo referral's letter goes to this test's directory, not the developer's."""
    return private_files


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "teams": Team.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "team_links": Membership.teams.through.objects.count(),
        "absences": Absence.objects.count(),
        "helpdesk_members": Group.objects.get(name=HELPDESK_GROUP).user_set.count(),
    }


def _seed() -> str:
    out = io.StringIO()
    call_command("demo_seed", stdout=out)
    return out.getvalue()


def test_demo_seed_creates_the_region_described_in_the_module():
    output = _seed()
    assert Organisation.objects.count() == len(demo.ORGANISATIONS)
    assert User.objects.filter(is_demo_account=True).count() == len(demo.PEOPLE)
    assert Membership.objects.count() == sum(len(person[-1]) for person in demo.PEOPLE)
    assert Team.objects.count() == sum(len(org[-1]) for org in demo.ORGANISATIONS)
    assert DEMO_PASSWORD in output  # the newcomer is told how to log in


def test_running_demo_seed_twice_changes_nothing_and_duplicates_nothing():
    _seed()
    first = _counts()
    _seed()
    assert _counts() == first
    assert (
        len(set(Organisation.objects.values_list("agb_code", flat=True))) == first["organisations"]
    )
    assert len(set(User.objects.values_list("email", flat=True))) == first["users"]
    assert Absence.objects.count() == 1  # the one current absence, not one per run


def test_demo_seed_restores_a_deactivated_demo_organisation():
    _seed()
    Organisation.objects.filter(agb_code="01001234").update(is_active=False, name="Weg")
    _seed()
    terp = Organisation.objects.get(agb_code="01001234")
    assert terp.is_active
    assert terp.name == "Huisartsenpraktijk De Terp"


def test_demo_people_have_the_positions_they_are_shown_with():
    _seed()
    gp = User.objects.get(email=demo_email("huisarts"))
    terp = Organisation.objects.get(agb_code="01001234")
    wad = Organisation.objects.get(agb_code="01005678")
    assert gp.memberships.get(organisation=terp).level == Level.A
    assert gp.memberships.get(organisation=wad).level == Level.C
    assert gp.memberships.get(organisation=terp).can(Capability.MANAGE_STAFF)
    assert not gp.memberships.get(organisation=wad).can(Capability.MANAGE_STAFF)
    helpdesk = User.objects.get(email=demo_email("helpdesk"))
    assert helpdesk.is_staff
    assert not helpdesk.is_superuser
    assert helpdesk.groups.filter(name=HELPDESK_GROUP).exists()
    # Every membership satisfies the model's own rules (level in a practice, role elsewhere).
    for membership in Membership.objects.select_related("organisation"):
        membership.full_clean()
        assert sections_for(membership)


@pytest.mark.parametrize("local_part", [person[0] for person in demo.PEOPLE])
def test_every_demo_account_logs_in_with_the_demo_password(client, local_part):
    _seed()
    response = client.post(
        reverse("account_login"), {"login": demo_email(local_part), "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.wsgi_request.user.email == demo_email(local_part)


def test_the_demo_has_no_superuser_and_its_helpdesk_no_patient_data_access():
    """Superusers are for emergencies only (README, "Emergency superuser"); the demo helpdesk
    is a helpdesk like any other: staff without a superuser's rights or a route to patients."""
    _seed()
    assert not User.objects.filter(is_superuser=True).exists()
    staff = User.objects.filter(is_staff=True)
    assert list(staff.values_list("email", flat=True)) == [demo_email("helpdesk")]
    assert not Membership.objects.filter(user__is_staff=True, has_patient_data_access=True).exists()


def test_demo_seed_is_refused_in_production_mode(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        _seed()
    assert not Organisation.objects.exists()
    assert not User.objects.exists()
    assert not Membership.objects.exists()


def test_demo_seed_function_refuses_too_in_production_mode(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(RuntimeError):
        demo_seed()
    assert not User.objects.exists()


def test_demo_has_a_case_for_every_access_rule():
    """Each rule has a demo person and patient to try it with (see the README)."""
    from network.access import Actor, patient_access_for, patients_visible_to

    _seed()

    def actor(local, org_name_part):
        membership = Membership.objects.select_related("organisation").get(
            user__email=demo_email(local), organisation__name__contains=org_name_part
        )
        return Actor(user=membership.user, membership=membership)

    def his_ids(a):
        return set(patients_visible_to(a).values_list("his_id", flat=True))

    terp_gp = actor("huisarts", "De Terp")
    wad_gp = actor("huisarts.wad", "Het Wad")
    nurse = actor("wijkverpleegkundige", "Wijkverpleging")
    carer = actor("verzorgende", "Wijkverpleging")
    physio = actor("fysiotherapeut", "Fysiotherapie")
    pharmacist = actor("apotheker", "Apotheek")
    assistant = actor("assistent", "De Terp")

    # Own practice: all of its patients, none of the other practice's.
    assert len(his_ids(terp_gp)) == 40 and all(h.startswith("terp-") for h in his_ids(terp_gp))
    assert all(h.startswith("wad-") for h in his_ids(wad_gp))
    # Staff without patient-data access: nothing.
    assert his_ids(assistant) == set()
    # District nurse: visible patients of her network; terp-0003 is in it but not visible.
    assert his_ids(nurse) == {"terp-0001", "terp-0002"}
    # A network of a district nurse only (no referral, no conversation).
    dijkstra = patients_visible_to(nurse).get(his_id="terp-0002")
    assert {m.user.email for m in dijkstra.network.all()} == {demo_email("wijkverpleegkundige")}
    # Networks cross organisations and practices.
    assert his_ids(physio) == {"terp-0001", "wad-0001"}
    assert his_ids(carer) == {"wad-0001"}
    assert his_ids(pharmacist) == {"terp-0001", "terp-0004"}
    # The pharmacy sees medication but not measurements (authorisation matrix).
    access = patient_access_for(actor=pharmacist, pk=patients_visible_to(pharmacist).first().pk)
    assert access.can_see("medication")
    # The physiotherapist, acting for the district nursing, sees nothing of the network.
    physio_as_nursing = actor("fysiotherapeut", "Wijkverpleging")
    assert his_ids(physio_as_nursing) == set()


def test_demo_patients_are_loaded_once(settings):
    _seed()
    from network.models import AccessLogEntry, Patient

    before = (Patient.objects.count(), AccessLogEntry.objects.count())
    _seed()
    assert (Patient.objects.count(), AccessLogEntry.objects.count()) == before


def test_demo_has_care_pathways_and_a_referral_in_treatment_with_feedback(db):
    from referrals.models import CarePathway, Referral

    demo_seed()
    demo_seed()  # idempotent

    assert CarePathway.objects.get(name="Diabetes mellitus type 2").required_icpc == ["T90"]
    referral = Referral.objects.get()
    assert referral.state == Referral.State.ACCEPTED
    assert referral.accepted_by.email == demo_email("wijkverpleegkundige")
    assert referral.feedback.count() == 1
    [letter] = referral.attachments.all()
    assert letter.original_name == "ontslagbrief.pdf"
    assert letter.file.read().startswith(b"%PDF-1.4")
