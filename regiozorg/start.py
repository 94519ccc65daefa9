"""The start page as the day's work queue (*Vandaag*): one block per kind of work waiting for
the person and the organisation they act for.

Each block is read by its own app's selector, which starts from that app's access rule; this
module only composes them into rows (a title, a line under it, a note, a link to the thing
itself). Rows that name a patient are logged as read (NEN 7513) in one write for everything
shown — the whole page, or the one block a live update refreshes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import colleagues_absent_today
from careplans import plan_selectors
from careplans.plan_access import can_own_actions
from conversations import selectors as conversation_selectors
from conversations.access import can_message, conversations_names_shown
from his.selectors import his_exports_failed_for
from network.access import Actor, collaborates, sees_own_practice_patients
from network.access_log import LogLine, access_log_write_many
from network.models import AccessAction, DataCategory
from questionnaires import measure_selectors
from questionnaires.measure_access import can_see_practice_alerts
from referrals import selectors as referral_selectors

# Rows per block; the rest is behind the block's "alle …" link.
ROWS_SHOWN = 5
FIRST_LINE_CHARS = 100


@dataclass
class Row:
    title: str
    url: str
    line: str = ""
    note: str = ""
    urgent: bool = False
    # A one-click form under the row: (url, hidden fields, button label).
    button: tuple[str, dict, str] | None = None


@dataclass
class Block:
    key: str
    title: str
    count: int
    rows: list[Row]
    empty: str
    more_url: str = ""
    more_label: str = ""
    # The live event (static/js/live.js) on which the page fetches the block again.
    live_event: str = ""
    # (patient id, relationship, data category) of each row naming a patient: logged as read.
    shown: list[tuple[int, str, str]] = field(default_factory=list)


def _first_line(text: str | None) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return Truncator(line).chars(FIRST_LINE_CHARS)


def _patient_note(conversation) -> str:
    return conversation.patient.formal_name if conversation.patient_id else ""


# --- the blocks ---------------------------------------------------------------------------


def _conversations(actor: Actor) -> Block | None:
    if not can_message(actor):
        return None
    count, rows = conversation_selectors.unread_conversations_for(actor=actor, limit=ROWS_SHOWN)
    return Block(
        key="conversations",
        title=_("Unread conversations"),
        count=count,
        rows=[
            Row(
                title=c.subject,
                url=reverse("conversations:detail", args=[c.pk]),
                line=_first_line(c.last_body),
                note=_patient_note(c),
            )
            for c in rows
        ],
        empty=_("No unread conversations."),
        more_url=reverse("conversations:inbox"),
        more_label=_("All conversations"),
        live_event="live-inbox",
        shown=_conversations_shown(actor, rows),
    )


def _conversations_shown(actor: Actor, rows) -> list[tuple]:
    """The patients whose names these conversation rows show, for the access log."""
    return [
        (pid, rel, "conversation")
        for pid, rel in conversations_names_shown(actor=actor, conversations=rows)
    ]


def _referrals_shown(actor: Actor, rows) -> list[tuple]:
    """The patients whose names these referral rows show, for the access log."""
    return [
        (pid, rel, "referral")
        for pid, rel in referral_selectors.referrals_names_shown(actor=actor, referrals=rows)
    ]


def _consultations(actor: Actor) -> Block | None:
    if not can_message(actor):
        return None
    count, rows = conversation_selectors.consultations_waiting_for(actor=actor, limit=ROWS_SHOWN)
    now = timezone.now()
    return Block(
        key="consultations",
        title=_("Consultations waiting"),
        count=count,
        rows=[
            Row(
                title=c.subject,
                url=reverse("conversations:detail", args=[c.pk]),
                line=_("from %(name)s") % {"name": c.created_by.full_name},
                note=" · ".join(
                    part
                    for part in (
                        _patient_note(c),
                        _("waiting %(duration)s")
                        % {"duration": timesince(c.created_at, now, depth=1)},
                    )
                    if part
                ),
            )
            for c in rows
        ],
        empty=_("No consultations waiting."),
        more_url=reverse("conversations:consultations"),
        more_label=_("All consultations"),
        live_event="live-inbox",
        shown=_conversations_shown(actor, rows),
    )


def _referral_patient(referral) -> str:
    if referral.patient_visible:
        return referral.patient.formal_name
    return _("Patient no longer shared with you")


def _referrals_new(actor: Actor) -> Block | None:
    # A practice refers; the organisations it refers to receive.
    if not collaborates(actor) or actor.membership.organisation.is_gp_practice:
        return None
    count, rows = referral_selectors.referrals_new_for(actor=actor, limit=ROWS_SHOWN)
    return Block(
        key="referrals-new",
        title=_("New referrals"),
        count=count,
        rows=[
            Row(
                title=_referral_patient(r),
                url=reverse("referrals:detail", args=[r.pk]),
                line=_first_line(r.question),
                note=" · ".join(
                    part
                    for part in (
                        r.practice.name,
                        r.to_team.name if r.to_team_id else "",
                        date_format(timezone.localtime(r.sent_at), "j F H:i") if r.sent_at else "",
                    )
                    if part
                ),
                urgent=r.urgency == r.Urgency.URGENT,
            )
            for r in rows
        ],
        empty=_("No new referrals."),
        more_url=reverse("referrals:list") + "?tab=new",
        more_label=_("All new referrals"),
        live_event="live-referrals",
        shown=_referrals_shown(actor, rows),
    )


def _referrals_attention(actor: Actor) -> Block | None:
    if not sees_own_practice_patients(actor):
        return None
    count, rows = referral_selectors.referrals_needing_attention_for(actor=actor, limit=ROWS_SHOWN)
    result = []
    for r in rows:
        reasons = []
        if r.delivery_failed:
            reasons.append(_("delivery to the receiver's system failed"))
        if r.latest_feedback_at and r.state == r.State.ACCEPTED:
            reasons.append(
                _("new feedback %(date)s")
                % {
                    "date": date_format(
                        timezone.localtime(r.latest_feedback_at), "MONTH_DAY_FORMAT"
                    )
                }
            )
        result.append(
            Row(
                title=_referral_patient(r),
                url=reverse("referrals:detail", args=[r.pk]),
                line=r.to_team.name if r.to_team_id else r.to_organisation.name,
                note=" · ".join(reasons),
                urgent=r.delivery_failed,
            )
        )
    return Block(
        key="referrals-attention",
        title=_("Feedback and failed deliveries"),
        count=count,
        rows=result,
        empty=_("No new feedback, no failed deliveries."),
        more_url=reverse("referrals:list") + "?tab=sent",
        more_label=_("All sent referrals"),
        live_event="live-referrals",
        shown=_referrals_shown(actor, rows),
    )


def _my_actions(actor: Actor) -> Block | None:
    """The actor's open health-plan actions, soonest due first, overdue ones marked; one click
    marks one done (and comes back here)."""
    if not can_own_actions(actor):
        return None
    count, rows = plan_selectors.my_open_actions(actor=actor, limit=ROWS_SHOWN)
    home = reverse("home")
    result = []
    for action in rows:
        patient = action.plan.patient
        plan_url = reverse("healthplan:plan", args=[patient.pk])
        due = (
            _("due %(date)s") % {"date": date_format(action.due_date, "MONTH_DAY_FORMAT")}
            if action.due_date
            else ""
        )
        result.append(
            Row(
                title=action.description,
                url=f"{plan_url}#action-{action.pk}",
                line=patient.formal_name,
                note=" · ".join(
                    p
                    for p in (_("overdue") if action.overdue else "", due, action.goal.description)
                    if p
                ),
                urgent=action.overdue,
                button=(
                    reverse("healthplan:action-status", args=[patient.pk, action.pk]),
                    {"status": "done", "next": home},
                    _("Mark done"),
                ),
            )
        )
    return Block(
        key="my-actions",
        title=_("My actions"),
        count=count,
        rows=result,
        empty=_("No open actions in health plans."),
        live_event="live-actions",
        shown=[
            (pid, rel, "health_plan")
            for pid, rel in plan_selectors.actions_names_shown(actor=actor, actions=rows)
        ],
    )


def _measurement_alerts(actor: Actor) -> Block | None:
    """The practice's open home-measurement alerts, newest first: whose, which reading, when;
    the link opens the patient's measurements (where the alert is handled). For the people
    ``alert_notify`` mails: the practice's own staff with patient-data access."""
    if not can_see_practice_alerts(actor):
        return None
    count, rows = measure_selectors.practice_open_alerts_first(actor=actor, limit=ROWS_SHOWN)
    result = []
    for alert in rows:
        reading = alert.measurement
        when = date_format(timezone.localtime(reading.measured_at), "j F H:i")
        note = (
            _("%(count)s readings outside the limits · %(date)s")
            % {"count": alert.readings, "date": when}
            if alert.readings > 1
            else when
        )
        result.append(
            Row(
                title=alert.patient.formal_name,
                url=reverse("measurements:page", args=[alert.patient_id]),
                line=f"{reading.get_kind_display()}: {reading.display_value}",
                note=note,
            )
        )
    return Block(
        key="measurement-alerts",
        title=_("Home measurement alerts"),
        count=count,
        rows=result,
        empty=_("No open alerts on home measurements."),
        more_url=reverse("measurements:practice-alerts"),
        more_label=_("All open alerts"),
        live_event="live-alerts",
        shown=[
            (pid, rel, DataCategory.MEASUREMENTS)
            for pid, rel in measure_selectors.alerts_names_shown(actor=actor, alerts=rows)
        ],
    )


_EXPORT_KINDS = {
    ("conversations", "conversation"): gettext_lazy("conversation"),
    ("referrals", "feedback"): gettext_lazy("feedback"),
    ("careplans", "healthplan"): gettext_lazy("health plan"),
}


def _his_failed(actor: Actor) -> Block | None:
    # Exporting to the HIS, and so seeing how it went, is for the practice's own staff with
    # patient-data access. The rows name no patient: the link opens the source, logged there.
    if not sees_own_practice_patients(actor):
        return None
    failed = his_exports_failed_for(practice_id=actor.membership.organisation_id)
    count = failed.count()
    exports = list(failed[:ROWS_SHOWN]) if count else []
    feedback_ids = [e.source_id for e in exports if e.source_model == "feedback"]
    referral_of = (
        referral_selectors.referral_ids_of_feedback(ids=feedback_ids) if feedback_ids else {}
    )
    plan_ids = [e.source_id for e in exports if e.source_model == "healthplan"]
    patient_of_plan = plan_selectors.patient_ids_of_plans(ids=plan_ids) if plan_ids else {}
    rows = []
    for export in exports:
        if export.source_model == "conversation":
            url = reverse("conversations:detail", args=[export.source_id])
        elif export.source_model == "feedback" and export.source_id in referral_of:
            url = reverse("referrals:detail", args=[referral_of[export.source_id]])
        elif export.source_model == "healthplan" and export.source_id in patient_of_plan:
            url = reverse("healthplan:plan", args=[patient_of_plan[export.source_id]])
        else:
            continue
        kind = _EXPORT_KINDS.get((export.source_app, export.source_model), "")
        rows.append(
            Row(
                title=_("Export of %(kind)s to the HIS failed") % {"kind": kind},
                url=url,
                line=_first_line(export.last_error),
                note=date_format(timezone.localtime(export.created_at), "j F H:i"),
                urgent=True,
            )
        )
    return Block(
        key="his-failed",
        title=_("Failed HIS exports"),
        count=count,
        rows=rows,
        empty=_("No failed HIS exports."),
        live_event="live-his",
    )


def _absent(actor: Actor) -> Block | None:
    if actor.membership is None:
        return None
    absent = colleagues_absent_today(
        organisation=actor.membership.organisation, exclude_user=actor.user
    )
    count = absent.count()
    rows = []
    for user in absent[:ROWS_SHOWN] if count else []:
        until = max(a.end for a in user.current_absences)
        message = next((a.message for a in user.current_absences if a.message), "")
        rows.append(
            Row(
                title=user.full_name,
                url=reverse("accounts:colleague-search") + "?q=" + (user.last_name or ""),
                line=_first_line(message),
                note=_("absent until %(date)s") % {"date": date_format(until, "MONTH_DAY_FORMAT")},
            )
        )
    return Block(
        key="absent",
        title=_("Colleagues absent today"),
        count=count,
        rows=rows,
        empty=_("Nobody is absent today."),
        more_url=reverse("accounts:colleague-search"),
        more_label=_("All colleagues"),
    )


BLOCKS: dict[str, Callable[[Actor], Block | None]] = {
    "conversations": _conversations,
    "consultations": _consultations,
    "referrals-new": _referrals_new,
    "referrals-attention": _referrals_attention,
    "measurement-alerts": _measurement_alerts,
    "my-actions": _my_actions,
    "his-failed": _his_failed,
    "absent": _absent,
}


def _log_shown(actor: Actor, blocks: list[Block], *, object_ref: str) -> None:
    lines = [
        LogLine(
            action=AccessAction.READ,
            relationship=relationship,
            patient_id=patient_id,
            data=(DataCategory.IDENTITY, category),
            object_ref=object_ref,
        )
        for block in blocks
        for patient_id, relationship, category in block.shown
    ]
    if lines:
        access_log_write_many(actor=actor, lines=lines)


def start_page_for(*, actor: Actor) -> list[Block]:
    """Every block the actor's membership has, in page order; the names shown logged once."""
    blocks = [block for build in BLOCKS.values() if (block := build(actor)) is not None]
    _log_shown(actor, blocks, object_ref="start")
    return blocks


def start_block_for(*, actor: Actor, key: str) -> Block | None:
    """One block (refreshed on a live event), or None when the actor has no such block."""
    build = BLOCKS.get(key)
    block = build(actor) if build else None
    if block is not None:
        _log_shown(actor, [block], object_ref=f"start:{key}")
    return block
