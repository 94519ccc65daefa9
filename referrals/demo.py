"""Demo care pathways and a referral in treatment with start feedback. Idempotent."""

from __future__ import annotations

from network.access import Actor, patient_access_for, patients_visible_to
from network.models import Membership, Team
from referrals.models import CarePathway, Feedback, Referral
from referrals.services import feedback_add, referral_create, referral_transition

PATHWAYS = (
    ("Diabetes mellitus type 2", ["T90"], "Een diabetesverwijzing vraagt een episode T90."),
    ("CVRM", ["K86"], "CVRM vraagt een episode hypertensie (K86) of een andere K-episode."),
    ("COPD", ["R95"], "Een COPD-verwijzing vraagt een episode R95."),
    ("Kwetsbare ouderen", [], ""),
    ("Palliatieve zorg", [], ""),
)
QUESTION = (
    "Graag wondzorg rechter onderbeen na ontslag uit het ziekenhuis: verbandwissel 2x per week, "
    "let op tekenen van infectie."
)


def demo_referrals(*, organisations, email, actor_for) -> None:
    for name, codes, text in PATHWAYS:
        CarePathway.objects.get_or_create(
            name=name, defaults={"required_icpc": codes, "requirement_text": text}
        )
    wijk = organisations["wijk"]
    gp = actor_for(organisations["terp"])
    geertje = patients_visible_to(gp).get(his_id="terp-0001")
    if Referral.objects.filter(patient=geertje, to_organisation=wijk, question=QUESTION).exists():
        return
    membership = Membership.objects.select_related("organisation", "user").get(
        user__email=email("wijkverpleegkundige"), organisation=wijk
    )
    nurse = Actor(user=membership.user, membership=membership, request_id="demo-seed")
    referral = referral_create(
        actor=gp,
        patient_access=patient_access_for(actor=gp, pk=geertje.pk),
        to_organisation=wijk,
        # To the nurse's team: the other team's carers keep the access the README describes.
        to_team=Team.objects.get(organisation=wijk, name="Team Stiens"),
        question=QUESTION,
        urgency=Referral.Urgency.SOON,
        send=True,
    )
    referral_transition(actor=nurse, referral=referral, action="accept")
    feedback_add(
        actor=nurse,
        referral=referral,
        kind=Feedback.Kind.START,
        findings="Ulcus 3 x 4 cm, wondbed schoon, geen tekenen van infectie.",
        treatment_plan="Verbandwissel dinsdag en vrijdag; over 4 weken evalueren.",
        sessions=8,
        advice="Graag de glucose van de laatste weken; genezing gaat langzaam.",
    )
