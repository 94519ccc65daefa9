"""Demo patients: the shipped HIS extractions of the two demo practices, and the care networks
that give every access rule a case to try (see the README). Idempotent.

The demo people and organisations come from ``accounts.demo``; ``regiozorg.demo.demo_seed``
runs this after them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from accounts.demo import demo_email
from accounts.models import Membership, User
from network.access import Actor, patient_access_for, patients_visible_to
from network.fhir import bundle_load, bundle_patient_count
from network.models import CareNetworkReason, Extraction
from network.services import care_network_add, extraction_import, patient_visibility_set

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


def gp_actor(organisation) -> Actor:
    """The GP of a demo practice, acting for it: the one who starts conversations and referrals."""
    user = User.objects.get(email=demo_email(PRACTICE_GP[_key_of(organisation)]))
    membership = Membership.objects.select_related("organisation").get(
        user=user, organisation=organisation
    )
    return Actor(user=user, membership=membership, request_id="demo-seed", user_agent="demo_seed")


def _key_of(organisation) -> str:
    return {"01001234": "terp", "01005678": "wad"}[organisation.agb_code]


def demo_patients(organisations) -> int:
    """Import the shipped extractions and set up the demo care networks. Returns how many
    patients the practices' GPs see. Idempotent."""
    for key in PRACTICE_GP:
        practice = organisations[key]
        content = (EXTRACTIONS_DIR / f"{key}.json").read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if practice.extractions.filter(sha256=digest, status=Extraction.Status.DONE).exists():
            continue
        actor = gp_actor(practice)
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
        actor = gp_actor(practice)
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
    return sum(patients_visible_to(gp_actor(organisations[k])).count() for k in PRACTICE_GP)
