"""Reads of the referrals app. Patient data comes through ``network.access`` only."""

from __future__ import annotations

import dataclasses
import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from network.access import (
    Actor,
    PatientAccess,
    patient_get_for,
    patients_visible_to,
    relationship_facts,
    relationship_of,
    sees_own_practice_patients,
)
from network.access_log import access_log_names_shown
from network.models import (
    AccessRelationship,
    AuthorisationRule,
    DataCategory,
    Episode,
)
from network.patient_sections import PatientSection
from referrals.access import received_by, referrals_visible_to
from referrals.models import (
    CarePathway,
    Feedback,
    Referral,
    ReferralAttachment,
    ReferralDelivery,
    ReferralEvent,
)


def pathway_warnings(*, access: PatientAccess, pathway: CarePathway | None) -> list[str]:
    """What the care pathway asks for and the patient's record lacks: a warning, not a block.

    Every required code must be there. A code matches an active episode whose ICPC code starts
    with it (``T90`` matches ``T90`` and ``T90.02``; a chapter letter, the whole chapter).
    """
    if pathway is None or not pathway.required_icpc:
        return []
    codes = [
        code.upper()
        for code in Episode.objects.filter(
            patient=access.patient, status=Episode.Status.ACTIVE
        ).values_list("icpc_code", flat=True)
    ]
    missing = [
        wanted
        for wanted in pathway.required_icpc
        if not any(code.startswith(wanted) for code in codes)
    ]
    if not missing:
        return []
    return [
        pathway.requirement_text
        or _("The care pathway %(pathway)s asks for an episode with ICPC code %(codes)s.")
        % {"pathway": pathway.name, "codes": ", ".join(missing)}
    ]


REFERRALS_PER_PAGE = 25
TAB_STATES = {
    "new": (Referral.State.SENT,),
    "treatment": (Referral.State.ACCEPTED,),
    "ended": (Referral.State.DECLINED, Referral.State.CANCELLED, Referral.State.CLOSED),
}


def referral_list_for(*, actor: Actor, tab: str, page=1) -> Page:
    """Received referrals of the actor's organisation by state, or (``sent``) the practice's
    own referrals — one page, a fixed number of queries.

    Each row knows whether the actor sees its patient now (``patient_visible``): the receivers
    of an ended referral keep the row but no longer the patient's name. Every patient whose
    name the page shows gets an access-log entry (one write for the page).
    """
    referrals = referrals_visible_to(actor)
    organisation_id = actor.membership.organisation_id
    if tab == "sent":
        referrals = referrals.filter(practice_id=organisation_id).order_by("-created_at", "-pk")
    else:
        referrals = referrals.filter(
            to_organisation_id=organisation_id, state__in=TAB_STATES[tab]
        ).order_by(F("sent_at").desc(nulls_last=True), "-pk")
    # The ordered ids of every match (one query, tens of thousands of integers at most), paged
    # here; only the rows shown are fetched with their patient's visibility — worked out for
    # the 25 shown rather than for every row before the offset.
    shown = Paginator(list(referrals.values_list("pk", flat=True)), REFERRALS_PER_PAGE).get_page(
        page
    )
    wanted = list(shown.object_list)
    rows = (
        Referral.objects.filter(pk__in=wanted)
        .annotate(
            patient_visible=Exists(patients_visible_to(actor).filter(pk=OuterRef("patient_id"))),
            **relationship_facts(actor, patient="patient_id"),
        )
        .select_related(
            "patient", "to_organisation", "to_team", "care_pathway", "accepted_by", "practice"
        )
    )
    by_pk = {row.pk: row for row in rows}
    shown.object_list = [by_pk[pk] for pk in wanted if pk in by_pk]
    _log_names_shown(actor, shown, object_ref=f"referral_list:{tab}:page={shown.number}")
    return shown


def referrals_names_shown(*, actor: Actor, referrals) -> list[tuple[int, str]]:
    """(patient id, relationship) for each row whose patient the actor sees now — what the
    access log records for a list that names them (rows annotated as the lists here do)."""
    return [
        (
            r.patient_id,
            relationship_of(
                actor, r.patient, access_granted=r.access_granted, in_care_network=r.in_care_network
            ),
        )
        for r in referrals
        if r.patient_visible
    ]


def _log_names_shown(actor: Actor, referrals, *, object_ref: str) -> None:
    access_log_names_shown(
        actor=actor,
        shown=referrals_names_shown(actor=actor, referrals=referrals),
        data=[DataCategory.IDENTITY, "referral"],
        object_ref=object_ref,
    )


def referral_counts_for(*, actor: Actor) -> dict[str, int]:
    """How many received referrals wait per tab (one grouped query)."""
    rows = (
        referrals_visible_to(actor)
        .filter(to_organisation_id=actor.membership.organisation_id)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_state = {row["state"]: row["n"] for row in rows}
    return {tab: sum(by_state.get(s, 0) for s in states) for tab, states in TAB_STATES.items()}


def referral_history(
    *, referral: Referral
) -> tuple[list[ReferralEvent], list[Feedback], list[ReferralAttachment]]:
    """Events, feedback (each with its ``files``) and the referral's own attachments — three
    queries whatever their number."""
    events = list(referral.events.select_related("user", "organisation"))
    feedback = list(referral.feedback.select_related("author", "organisation"))
    files = list(referral.attachments.all())
    by_feedback: dict[int, list[ReferralAttachment]] = {}
    for item in files:
        by_feedback.setdefault(item.feedback_id, []).append(item)
    for item in feedback:
        item.files = by_feedback.get(item.pk, [])
    return events, feedback, by_feedback.get(None, [])


def referral_delivery_latest(*, referral: Referral):
    """The latest delivery to the receiver's own system, with its step (one query), or None."""
    return referral.deliveries.select_related("event").order_by("-created_at", "-pk").first()


def referral_attachment_get(*, actor: Actor, referral: Referral, pk) -> ReferralAttachment:
    """One attachment of a referral the actor may open — if they may see the patient now (the
    receivers of an ended referral only through the care network). Logged; 404 otherwise."""
    try:
        attachment = referral.attachments.get(pk=pk)
    except (ReferralAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    patient_get_for(
        actor=actor,
        pk=referral.patient_id,
        data=["referral_attachment"],
        object_ref=f"referral-attachment:{attachment.pk}",
    )
    return attachment


def receiver_preview(*, access: PatientAccess, to_organisation) -> PatientAccess:
    """*Dit ziet de ontvanger*: the practice's access narrowed to the categories the
    matrix gives the receiving organisation's kind."""
    rule = AuthorisationRule.objects.filter(organisation_kind=to_organisation.kind).first()
    return dataclasses.replace(
        access,
        relationship=AccessRelationship.REFERRAL,
        categories=rule.categories if rule else frozenset(),
    )


def receiver_sees_text(*, to_organisation, preview: PatientAccess) -> str:
    """The preview's summary in the receiver's terms: *Wijkverpleging / VVT ziet: identiteit en
    adres (NAW), episodes (ICPC)* — their kind, then the categories in the matrix's order."""
    shown = [
        str(label)[:1].lower() + str(label)[1:]
        for value, label in DataCategory.choices
        if preview.can_see(value)
    ]
    if not shown:
        return _("%(kind)s sees the name and date of birth only.") % {
            "kind": to_organisation.get_kind_display()
        }
    return _("%(kind)s sees: %(categories)s.") % {
        "kind": to_organisation.get_kind_display(),
        "categories": ", ".join(shown),
    }


PATIENT_REFERRALS_SHOWN = 10


def referrals_of_patient(*, access: PatientAccess, actor: Actor) -> list[Referral]:
    """The patient's referrals the actor may see, newest first, with their feedback count and
    the latest feedback — for the patient page (one query)."""
    latest = Feedback.objects.filter(referral=OuterRef("pk")).order_by("-created_at", "-pk")
    return list(
        referrals_visible_to(actor)
        .filter(patient=access.patient)
        .select_related("to_organisation", "to_team")
        .annotate(
            feedback_count=Count("feedback"),
            latest_advice=Subquery(latest.values("advice")[:1]),
            latest_findings=Subquery(latest.values("findings")[:1]),
        )
        .order_by("-created_at", "-pk")[:PATIENT_REFERRALS_SHOWN]
    )


def patient_referrals_section(*, actor: Actor, access: PatientAccess) -> PatientSection | None:
    """The *Verwijzingen* section of the patient page (registered in ``apps.py``), if the
    actor may see any of the patient's referrals."""
    referrals = referrals_of_patient(access=access, actor=actor)
    return PatientSection("referrals/_patient_section.html", referrals) if referrals else None


def referral_conversations_for(*, actor: Actor, referral: Referral) -> list:
    """The conversations linked to the referral that the actor may open."""
    from conversations.access import conversations_visible_to

    return list(
        conversations_visible_to(actor)
        .filter(referrals=referral)
        .only("pk", "subject", "last_message_at")
        .order_by("-last_message_at", "-pk")
    )


def feedback_his_exports(*, referral: Referral, feedback: list[Feedback]) -> dict:
    """For the practice: each feedback's latest HIS export (set on it as ``his_export``) and
    whether the practice's HIS is connected — two queries whatever the number of feedback."""
    from his.selectors import his_endpoint_for, his_exports_of

    if not feedback:
        return {"his_connected": False}
    latest = {}
    exports = his_exports_of(model=Feedback, ids=[item.pk for item in feedback])
    for export in exports.order_by("created_at"):
        latest[export.source_id] = export
    for item in feedback:
        item.his_export = latest.get(item.pk)
    return {"his_connected": his_endpoint_for(practice_id=referral.practice_id) is not None}


# --- The start page's work queue ----------------------------------------------------------

# Feedback this recent counts as new on the practice's start page (there is no read mark).
FEEDBACK_NEW_DAYS = 7


def _with_patient_facts(referrals, actor: Actor):
    return referrals.annotate(
        patient_visible=Exists(patients_visible_to(actor).filter(pk=OuterRef("patient_id"))),
        **relationship_facts(actor, patient="patient_id"),
    ).select_related("patient")


def _new_received(actor: Actor):
    return referrals_visible_to(actor).filter(received_by(actor), state=Referral.State.SENT)


def referrals_new_count(*, actor: Actor) -> int:
    """Sent to the actor's organisation (or their team) and not yet taken into treatment or
    declined — the *Nieuw* tab, for the menu badge. One query."""
    return _new_received(actor).count()


def referrals_new_for(*, actor: Actor, limit: int) -> tuple[int, list[Referral]]:
    """The new referrals (:func:`referrals_new_count`) and the ``limit`` newest, each knowing
    whether its patient is visible to the actor (``patient_visible``) — two queries. The caller
    logs the names it shows (:func:`referrals_names_shown`)."""
    new = _new_received(actor)
    count = new.count()
    if not count:
        return 0, []
    rows = _with_patient_facts(new, actor).select_related("practice", "to_team")
    return count, list(rows.order_by(F("sent_at").desc(nulls_last=True), "-pk")[:limit])


def referrals_needing_attention_for(
    *, actor: Actor, limit: int, now: datetime.datetime | None = None
) -> tuple[int, list[Referral]]:
    """For the referring practice: its referrals in treatment with feedback of the last
    ``FEEDBACK_NEW_DAYS`` days, and those whose latest delivery to the receiver's system
    failed. Each row has ``latest_feedback_at`` and ``delivery_failed`` — two queries."""
    if not sees_own_practice_patients(actor):
        return 0, []
    since = (now or timezone.now()) - datetime.timedelta(days=FEEDBACK_NEW_DAYS)
    latest_feedback = Feedback.objects.filter(referral=OuterRef("pk")).order_by("-created_at")
    latest_delivery = ReferralDelivery.objects.filter(referral=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    referrals = (
        referrals_visible_to(actor)
        .filter(practice_id=actor.membership.organisation_id)
        .annotate(
            latest_feedback_at=Subquery(latest_feedback.values("created_at")[:1]),
            latest_delivery_status=Subquery(latest_delivery.values("status")[:1]),
        )
        .filter(
            Q(state=Referral.State.ACCEPTED, latest_feedback_at__gte=since)
            | Q(latest_delivery_status=ReferralDelivery.Status.FAILED)
        )
    )
    count = referrals.count()
    if not count:
        return 0, []
    rows = list(
        _with_patient_facts(referrals, actor)
        .select_related("to_organisation", "to_team")
        .order_by(F("latest_feedback_at").desc(nulls_last=True), "-pk")[:limit]
    )
    for row in rows:
        row.delivery_failed = row.latest_delivery_status == ReferralDelivery.Status.FAILED
    return count, rows


def referral_ids_of_feedback(*, ids) -> dict[int, int]:
    """Feedback id → its referral's id (one query): where a HIS export of feedback points."""
    return dict(Feedback.objects.filter(pk__in=list(ids)).values_list("pk", "referral_id"))
