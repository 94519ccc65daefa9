"""Demo advance care plan: Geertje van der Meer (terp-0001), palliative COPD and heart failure,
two versions recorded by her GP, shared with the district nurse only. Idempotent."""

from __future__ import annotations

import datetime

from careplans.access import acp_get_for
from careplans.acp_services import acp_record
from careplans.models import AcpVersion
from network.access import patients_visible_to
from network.models import CareNetworkMember

FIRST = {
    "conversation_date": datetime.date(2026, 10, 14),
    "held_by_name": "Jelle de Vries",
    "held_by_function": "huisarts",
    "capacity": "capable",
    "capacity_note": "Overziet haar situatie goed.",
    "representative_name": "",
    "representative_phone": "",
    "representative_email": "",
    "representative_relation": "",
    "contact_name": "Anne van der Meer",
    "contact_phone": "06-12345678",
    "contact_email": "anne.vandermeer@example.nl",
    "contact_relation": "dochter",
    "present": [{"name": "Anne van der Meer", "role": "mantelzorger", "relation": "dochter"}],
    "goal": "life_prolonging",
    "goal_note": "Zo lang mogelijk thuis, met behandeling van longaanvallen.",
    "resuscitation": "dont",
    "resuscitation_note": "Niet reanimeren: kans op goed herstel klein, zo met haar besproken.",
    "ventilation": "dont",
    "ventilation_note": "",
    "icu": "dont",
    "icu_note": "",
    "hospital": "other",
    "hospital_note": "Alleen voor behandeling die thuis niet kan (bijvoorbeeld een heupfractuur).",
    "antibiotics": "do",
    "antibiotics_note": "Bij een longaanval of longontsteking: oraal.",
    "blood_products": "unknown",
    "blood_products_note": "",
    "other_treatment": "",
    "other": "unknown",
    "other_note": "",
    "icd_present": "no",
    "icd_type": "",
    "icd_agreement": "not_discussed",
    "icd_note": "",
    "care_wishes": "Wil haar kat Pluis bij zich houden. Benauwdheid is haar grootste angst.",
    "death_place": "home",
    "death_place_note": "In haar eigen bed, met uitzicht op de tuin.",
    "euthanasia": "no",
    "euthanasia_note": "",
    "organ_donation": "no",
    "other_matters": "Haar geloof geeft steun; de dominee komt graag langs.",
    "earlier_agreements": "",
    "earlier_differ": "unknown",
    "consent_gp_emergency": True,
    "consent_network": True,
}
SECOND = {
    **FIRST,
    "conversation_date": datetime.date(2026, 11, 25),
    "goal": "symptoms",
    "goal_note": "Comfort staat nu voorop; geen opnames meer.",
    "hospital": "dont",
    "hospital_note": "Ook niet bij een longaanval: behandeling thuis met de wijkverpleging.",
    "present": [
        {"name": "Anne van der Meer", "role": "mantelzorger", "relation": "dochter"},
        {"name": "Tjitske Dijkstra", "role": "wijkverpleegkundige", "relation": ""},
    ],
}


def demo_acp(*, organisations, email, actor_for) -> None:
    gp = actor_for(organisations["terp"])
    geertje = patients_visible_to(gp).get(his_id="terp-0001")
    if AcpVersion.objects.filter(plan__patient=geertje).exists():
        return
    nurse = CareNetworkMember.objects.current().filter(
        patient=geertje, user__email=email("wijkverpleegkundige")
    )
    for data in (FIRST, SECOND):
        acp = acp_get_for(actor=gp, pk=geertje.pk, edit=True, log=False)
        acp_record(
            actor=gp,
            acp=acp,
            based_on=acp.version.number if acp.version else 0,
            data=data,
            shared_with=list(nurse),
        )
