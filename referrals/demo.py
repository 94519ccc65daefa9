"""Demo care pathways and a referral in treatment with start feedback. Idempotent."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership, Team
from network.access import Actor, patient_access_for, patients_visible_to
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


def letter_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ``lines`` of text (ASCII): the demo's discharge letter."""
    text = " ".join(
        f"({line}) Tj 0 -18 Td" for line in (x.replace("(", "[").replace(")", "]") for x in lines)
    )
    stream = f"BT /F1 12 Tf 56 780 Td {text} ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 4 0 R>>>>"
        b"/Contents 5 0 R>>",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


LETTER = [
    "Ontslagbrief chirurgie (demo)",
    "Patient: G. van der Meer, geb. 1944",
    "Opname 12 t/m 19 november: ulcus cruris rechts, debridement.",
    "Beleid: verbandwissel 2x per week, controle polikliniek over 6 weken.",
]


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
        files=[
            SimpleUploadedFile(
                "ontslagbrief.pdf", letter_pdf(LETTER), content_type="application/pdf"
            )
        ],
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
