"""Demo data for the embedded mode: a small Frisian region, fictional people only.

Idempotent: organisations are keyed on AGB code, people on e-mail, memberships on
(user, organisation); running it twice changes nothing and creates no duplicates.
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.helpdesk import HELPDESK_GROUP
from accounts.levels import Level, Role
from accounts.models import Absence, Membership, Organisation, OrganisationKind, Team, User
from network.access import Actor, patient_access_for, patients_visible_to
from network.fhir import bundle_load, bundle_patient_count
from network.models import CareNetworkReason, Extraction
from network.services import care_network_add, extraction_import, patient_visibility_set

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


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create or update the demo region. Returns counts of what exists afterwards."""
    if not settings.DEMO_DATA_ALLOWED:
        raise RuntimeError("Demo data is refused in production mode.")

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

    patients = _demo_patients(organisations)
    from conversations.demo import demo_conversations

    demo_conversations(organisations=organisations, email=demo_email, actor_for=_gp_actor)
    from referrals.demo import demo_referrals

    demo_referrals(organisations=organisations, email=demo_email, actor_for=_gp_actor)

    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.filter(is_demo_account=True).count(),
        "memberships": Membership.objects.count(),
        "patients": patients,
    }


EXTRACTIONS_DIR = Path(__file__).resolve().parent / "fixtures" / "extractions"

# Every access rule has a case to try (see the README): HIS number, visible?, care network as
# (e-mail local part, organisation key, why).
DEMO_NETWORKS = [
    # Visible; a network across three organisations.
    (
        "terp",
        "terp-0001",
        True,
        [
            ("wijkverpleegkundige", "wijk", "Wondzorg en COPD-begeleiding thuis"),
            ("fysiotherapeut", "fysio", "Longrevalidatie"),
            ("apotheker", "apotheek", "Medicatiebeoordeling"),
        ],
    ),
    # Visible; a district nurse only, added by hand (no referral, no conversation).
    ("terp", "terp-0002", True, [("wijkverpleegkundige", "wijk", "Diabeteszorg thuis")]),
    # NOT visible: the district nurse is in the network but cannot see the patient yet.
    ("terp", "terp-0003", False, [("wijkverpleegkundige", "wijk", "Dementiezorg")]),
    # Visible; the pharmacy only (it sees medication and contra-indications).
    ("terp", "terp-0004", True, [("apotheker", "apotheek", "Antistolling")]),
    # The other practice: visible, the carer of the district nursing and the physiotherapist.
    (
        "wad",
        "wad-0001",
        True,
        [
            ("verzorgende", "wijk", "Hulp bij medicatie"),
            ("fysiotherapeut", "fysio", "Valpreventie"),
        ],
    ),
]
PRACTICE_GP = {"terp": "huisarts", "wad": "huisarts.wad"}


def _gp_actor(organisation) -> Actor:
    user = User.objects.get(email=demo_email(PRACTICE_GP[_key_of(organisation)]))
    membership = Membership.objects.select_related("organisation").get(
        user=user, organisation=organisation
    )
    return Actor(user=user, membership=membership, request_id="demo-seed", user_agent="demo_seed")


def _key_of(organisation) -> str:
    return {"01001234": "terp", "01005678": "wad"}[organisation.agb_code]


def _demo_patients(organisations) -> int:
    """Import the shipped extractions and set up the demo care networks. Idempotent."""
    for key in PRACTICE_GP:
        practice = organisations[key]
        content = (EXTRACTIONS_DIR / f"{key}.json").read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if practice.extractions.filter(sha256=digest, status=Extraction.Status.DONE).exists():
            continue
        actor = _gp_actor(practice)
        extraction = Extraction.objects.create(
            practice=practice,
            uploaded_by=actor.user,
            file_name=f"extractie-{key}.json",
            size=len(content),
            sha256=digest,
            content=content,
            total=bundle_patient_count(bundle_load(content)),
        )
        extraction_import(extraction_id=extraction.pk)

    for key, his_id, visible, network in DEMO_NETWORKS:
        practice = organisations[key]
        actor = _gp_actor(practice)
        patient_id = patients_visible_to(actor).filter(his_id=his_id).values_list("pk", flat=True)
        access = patient_access_for(actor=actor, pk=patient_id.get())
        patient_visibility_set(actor=actor, access=access, visible=visible)
        for local, org_key, why in network:
            membership = Membership.objects.select_related("user", "organisation").get(
                user__email=demo_email(local), organisation=organisations[org_key]
            )
            care_network_add(
                actor=actor,
                patient=access.patient,
                membership=membership,
                reason=CareNetworkReason.MANUAL,
                reason_detail=why,
            )
    return sum(patients_visible_to(_gp_actor(organisations[k])).count() for k in PRACTICE_GP)
