"""Shared helpers for the advance care plan tests: a filled-in national form, recording by
service, and the actors in one care network."""

from __future__ import annotations

import datetime

from accounts.models import Membership
from careplans.access import acp_get_for
from careplans.acp_forms import AcpForm
from careplans.acp_selectors import acp_network_members
from careplans.acp_services import acp_record
from network.access import Actor

FULL_FORM = {
    "conversation_date": "2026-11-20",
    "held_by_name": "Gerrit Postma",
    "held_by_function": "huisarts",
    "present_1_name": "Anne van der Meer",
    "present_1_role": "dochter",
    "present_1_relation": "mantelzorger",
    "capacity": "capable",
    "capacity_note": "Helder, begrijpt de gevolgen",
    "representative_name": "Anne van der Meer",
    "representative_phone": "06-12345678",
    "representative_email": "anne@example.nl",
    "representative_relation": "dochter",
    "contact_name": "Pieter van der Meer",
    "contact_phone": "06-87654321",
    "contact_email": "pieter@example.nl",
    "contact_relation": "zoon",
    "goal": "symptoms",
    "goal_note": "Comfort staat voorop",
    "resuscitation": "dont",
    "resuscitation_note": "Niet reanimeren, besproken met dochter",
    "ventilation": "dont",
    "ventilation_note": "Geen beademing",
    "icu": "dont",
    "icu_note": "Geen IC",
    "hospital": "other",
    "hospital_note": "Alleen bij een heupfractuur",
    "antibiotics": "do",
    "antibiotics_note": "Oraal bij longontsteking",
    "blood_products": "unknown",
    "blood_products_note": "Nog bespreken",
    "other_treatment": "Sondevoeding",
    "other": "dont",
    "other_note": "Geen sondevoeding",
    "icd_present": "yes",
    "icd_type": "Medtronic Evera",
    "icd_agreement": "switch_off",
    "icd_note": "Uitzetten bij start stervensfase",
    "care_wishes": "Wil graag haar kat bij zich houden",
    "death_place": "home",
    "death_place_note": "In haar eigen bed",
    "euthanasia": "considers",
    "euthanasia_note": "Wil er later op terugkomen",
    "organ_donation": "no",
    "other_matters": "Geloof geeft steun",
    "earlier_agreements": "Niet-reanimerenpenning sinds 2024",
    "earlier_differ": "no",
    "consent_gp_emergency": "on",
    "consent_network": "on",
}


def actor_of(user, organisation=None) -> Actor:
    memberships = Membership.objects.select_related("organisation").filter(user=user)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return Actor(user=user, membership=memberships.first())


def form_data(*, based_on=0, shared_with=(), **changes) -> dict:
    data = {**FULL_FORM, "based_on": based_on, **changes}
    data["shared_with"] = [m.pk for m in shared_with]
    return {k: v for k, v in data.items() if v is not None}


def record(gp, patient, *, shared_with_users=(), based_on=None, **changes):
    """Record a version as ``gp`` through the form and the service (as the view does)."""
    actor = actor_of(gp)
    acp = acp_get_for(actor=actor, pk=patient.pk, edit=True, log=False)
    members = acp_network_members(access=acp)
    chosen = [m for m in members if m.user in shared_with_users]
    if based_on is None:
        based_on = acp.version.number if acp.version else 0
    form = AcpForm(form_data(based_on=based_on, shared_with=chosen, **changes), members=members)
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    return acp_record(
        actor=actor, acp=acp, based_on=data["based_on"], data=data, shared_with=chosen
    )


TODAY = datetime.date(2026, 11, 20)
