"""Demo accounts for the embedded mode: organisations, teams, people, memberships, the helpdesk
and one absence, in a small Frisian region with fictional people only.

Idempotent: organisations are keyed on AGB code, people on e-mail, memberships on
(user, organisation); running it twice changes nothing and creates no duplicates. The demo as a
whole (patients, conversations, referrals) is run by ``regiozorg.demo.demo_seed``.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.helpdesk import HELPDESK_GROUP
from accounts.levels import Level, Role
from accounts.models import Absence, Membership, Organisation, OrganisationKind, Team, User

DEMO_PASSWORD = "Regiozorg-demo-2026"
DEMO_DOMAIN = "demo.regiozorg.nl"

ORGANISATIONS = [
    # key, name, kind, AGB, street, postal code, city, phone, teams
    (
        "kzf",
        "Ketenzorg Friesland",
        OrganisationKind.CARE_GROUP,
        "99000001",
        "Zuidergrachtswal 5",
        "8933 AD",
        "Leeuwarden",
        "058 - 123 45 67",
        [],
    ),
    (
        "terp",
        "Huisartsenpraktijk De Terp",
        OrganisationKind.GP_PRACTICE,
        "01001234",
        "Terpweg 12",
        "9051 AB",
        "Stiens",
        "058 - 257 12 34",
        [],
    ),
    (
        "wad",
        "Huisartsenpraktijk Het Wad",
        OrganisationKind.GP_PRACTICE,
        "01005678",
        "Dijkstraat 3",
        "9101 KL",
        "Dokkum",
        "0519 - 22 33 44",
        [],
    ),
    (
        "wijk",
        "Wijkverpleging Noord-Fryslân",
        OrganisationKind.DISTRICT_NURSING,
        "03012345",
        "Stationsweg 40",
        "9101 MB",
        "Dokkum",
        "0519 - 55 66 77",
        ["Team Stiens", "Team Dokkum"],
    ),
    (
        "fysio",
        "Fysiotherapie De Brug",
        OrganisationKind.PHYSIOTHERAPY,
        "04012345",
        "Brugstraat 8",
        "9051 CD",
        "Stiens",
        "058 - 257 99 00",
        [],
    ),
    (
        "apotheek",
        "Apotheek De Elfsteden",
        OrganisationKind.PHARMACY,
        "06012345",
        "Elfstedenplein 1",
        "8911 AB",
        "Leeuwarden",
        "058 - 213 00 11",
        [],
    ),
]

# email local part, initials, first name, infix, surname, functions, working days,
# memberships: (org key, level, role, patient data access, teams)
PEOPLE = [
    (
        "huisarts",
        "J.",
        "Jelle",
        "de",
        "Vries",
        ["gp"],
        [1, 2, 3, 4, 5],
        [("terp", Level.A, "", True, []), ("wad", Level.C, "", True, [])],
    ),
    (
        "poh",
        "S.",
        "Sjoukje",
        "",
        "Hoekstra",
        ["practice_nurse"],
        [1, 2, 4],
        [("terp", Level.C, "", True, [])],
    ),
    (
        "assistent",
        "M.",
        "Marije",
        "van der",
        "Meer",
        ["doctors_assistant"],
        [1, 2, 3, 4, 5],
        [("terp", Level.E, "", False, [])],
    ),
    (
        "manager",
        "P.",
        "Pieter",
        "",
        "Bakker",
        ["practice_manager"],
        [1, 2, 3],
        [("terp", Level.B_PLUS, "", False, [])],
    ),
    (
        "huisarts.wad",
        "A.",
        "Anke",
        "",
        "Postma",
        ["gp"],
        [1, 2, 3, 5],
        [("wad", Level.A, "", True, [])],
    ),
    (
        "wijkverpleegkundige",
        "T.",
        "Tjitske",
        "",
        "Dijkstra",
        ["district_nurse"],
        [1, 2, 3, 4],
        [("wijk", "", Role.LEAD, True, ["Team Stiens"])],
    ),
    (
        "verzorgende",
        "K.",
        "Klaas",
        "",
        "Visser",
        ["carer"],
        [2, 3, 4, 5, 6],
        [("wijk", "", Role.PROVIDER, True, ["Team Dokkum"])],
    ),
    (
        "fysiotherapeut",
        "B.",
        "Bauke",
        "",
        "Zijlstra",
        ["physiotherapist"],
        [1, 3, 5],
        [("fysio", "", Role.LEAD, True, []), ("wijk", "", Role.PROVIDER, True, [])],
    ),
    (
        "apotheker",
        "R.",
        "Rixt",
        "",
        "Jongsma",
        ["pharmacist"],
        [1, 2, 3, 4, 5],
        [("apotheek", "", Role.LEAD, True, [])],
    ),
    (
        "helpdesk",
        "H.",
        "Hylke",
        "",
        "Kuipers",
        ["helpdesk"],
        [1, 2, 3, 4, 5],
        [("kzf", "", Role.PROVIDER, False, [])],
    ),
]

HELPDESK_LOCAL_PART = "helpdesk"


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


def demo_accounts() -> dict[str, Organisation]:
    """Create or update the demo organisations and people. Returns the organisations by key."""
    organisations = {}
    for key, name, kind, agb, street, postal, city, phone, teams in ORGANISATIONS:
        organisation, _created = Organisation.objects.update_or_create(
            agb_code=agb,
            defaults={
                "name": name,
                "kind": kind,
                "street": street,
                "postal_code": postal,
                "city": city,
                "phone": phone,
                "email": f"{key}@{DEMO_DOMAIN}",
                "is_active": True,
            },
        )
        for team in teams:
            Team.objects.get_or_create(organisation=organisation, name=team)
        organisations[key] = organisation

    helpdesk_group = Group.objects.get(name=HELPDESK_GROUP)
    for local, initials, first, infix, last, functions, days, memberships in PEOPLE:
        user = User.objects.filter(email=demo_email(local)).first()
        if user is None:
            user = User.objects.create_user(
                email=demo_email(local),
                password=DEMO_PASSWORD,
                initials=initials,
                first_name=first,
                infix=infix,
                last_name=last,
                functions=functions,
                working_days=days,
                is_demo_account=True,
            )
        if local == HELPDESK_LOCAL_PART and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        if local == HELPDESK_LOCAL_PART:
            user.groups.add(helpdesk_group)
        for org_key, level, role, access, teams in memberships:
            membership, _created = Membership.objects.get_or_create(
                user=user,
                organisation=organisations[org_key],
                defaults={"level": level, "role": role, "has_patient_data_access": access},
            )
            if teams:
                membership.teams.set(
                    Team.objects.filter(organisation=organisations[org_key], name__in=teams)
                )

    # One absence that is current whenever the demo is loaded, so the marker shows.
    nurse = User.objects.get(email=demo_email("verzorgende"))
    today = timezone.localdate()
    if not nurse.absences.filter(end__gte=today).exists():
        Absence.objects.create(
            user=nurse,
            start=today,
            end=today + datetime.timedelta(days=7),
            message="Met vakantie. Voor vragen: de gezamenlijke inbox van Team Dokkum.",
        )

    return organisations
