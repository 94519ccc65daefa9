"""Reads of the advance care plan, for a plan the access module handed out (``AcpAccess``).

Each function runs a fixed number of queries, whatever the number of versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership
from careplans.access import AcpAccess, acp_header_for
from careplans.models import ACP_FIELDS, TREATMENTS, AcpVersion, AdvanceCarePlan
from his.selectors import his_endpoint_for, his_exports_of
from network.models import CareNetworkMember
from network.patient_sections import PatientHeaderItem


def acp_versions(*, access: AcpAccess) -> list[AcpVersion]:
    """Every version of the plan, newest first (one query)."""
    if access.plan is None:
        return []
    return list(
        AcpVersion.objects.filter(plan=access.plan)
        .select_related("created_by", "organisation")
        .only(
            "pk",
            "plan_id",
            "number",
            "created_at",
            "conversation_date",
            "created_by__first_name",
            "created_by__infix",
            "created_by__last_name",
            "created_by__email",
            "organisation__name",
        )
        .order_by("-number")
    )


def acp_version_get(*, access: AcpAccess, number) -> AcpVersion:
    if access.plan is None:
        raise Http404
    try:
        return (
            AcpVersion.objects.select_related("created_by", "organisation")
            .prefetch_related("shares__user", "shares__organisation")
            .get(plan=access.plan, number=number)
        )
    except (AcpVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def acp_network_members(*, access: AcpAccess) -> list[CareNetworkMember]:
    """Who the practice can share the plan with: the patient's current care network."""
    return (
        CareNetworkMember.objects.current()
        .filter(patient_id=access.patient.pk)
        .exclude(organisation_id=access.patient.practice_id)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "pk")
    )


def acp_shared_member_ids(*, access: AcpAccess, members) -> list[int]:
    """The network members the newest version is shared with (their CareNetworkMember ids)."""
    version = access.version
    if version is None:
        return []
    shared = set(version.shares.values_list("user_id", "organisation_id"))
    return [m.pk for m in members if (m.user_id, m.organisation_id) in shared]


# --- Showing a version ------------------------------------------------------------------------


_TREATMENT_LABELS = dict(TREATMENTS)


def field_label(field: str) -> str:
    """The form's label; a treatment's note (on the form simply "Toelichting", under its
    treatment) names its treatment, so a diff or a list says which one."""
    label = str(AcpVersion._meta.get_field(field).verbose_name)
    treatment = (
        _TREATMENT_LABELS.get(field.removesuffix("_note")) if field.endswith("_note") else None
    )
    return f"{treatment}: {label.lower()}" if treatment is not None else label


def field_value(version: AcpVersion, field: str) -> str:
    """A field as a reader reads it (the choice's words, a Dutch date, yes/no)."""
    value = getattr(version, field)
    if field == "present":
        return "; ".join(
            ", ".join(p for p in (row.get("name"), row.get("role"), row.get("relation")) if p)
            for row in value
        )
    if field == "conversation_date":
        return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    display = getattr(version, f"get_{field}_display", None)
    return str(display()) if display else str(value or "")


@dataclass(frozen=True)
class Limit:
    field: str
    label: str
    decision: str  # the value (do, dont, other, unknown)
    decision_label: str
    note: str


def treatment_limits(version: AcpVersion) -> list[Limit]:
    limits = []
    for field, label in TREATMENTS:
        name = str(label)
        if field == "other":
            if version.other == "unknown" and not version.other_treatment:
                continue
            name = f"{name}: {version.other_treatment}" if version.other_treatment else name
        limits.append(
            Limit(
                field=field,
                label=name,
                decision=getattr(version, field),
                decision_label=field_value(version, field),
                note=getattr(version, f"{field}_note"),
            )
        )
    return limits


# The form's sections after the treatment limits (which come first: what a crew must see).
SECTIONS = (
    (
        gettext_lazy("The conversation"),
        ("conversation_date", "held_by_name", "held_by_function", "present"),
    ),
    (gettext_lazy("Decision-making capacity"), ("capacity", "capacity_note")),
    (
        gettext_lazy("Legal representative and first contact person"),
        (
            "representative_name",
            "representative_phone",
            "representative_email",
            "representative_relation",
            "contact_name",
            "contact_phone",
            "contact_email",
            "contact_relation",
        ),
    ),
    (gettext_lazy("Treatment goal"), ("goal", "goal_note")),
    (gettext_lazy("ICD"), ("icd_present", "icd_type", "icd_agreement", "icd_note")),
    (
        gettext_lazy("Wishes and positions"),
        (
            "care_wishes",
            "death_place",
            "death_place_note",
            "euthanasia",
            "euthanasia_note",
            "organ_donation",
            "other_matters",
        ),
    ),
    (gettext_lazy("Earlier agreements"), ("earlier_agreements", "earlier_differ")),
    (gettext_lazy("Sharing"), ("consent_gp_emergency", "consent_network")),
)
TREATMENT_FIELDS = {name for field, _label in TREATMENTS for name in (field, f"{field}_note")} | {
    "other_treatment"
}
assert set(ACP_FIELDS) == TREATMENT_FIELDS | {f for _t, fields in SECTIONS for f in fields}


def acp_sections(version: AcpVersion, order=None) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section title, [(label, value)]) for every section after the limits, in the form's
    order or ``order`` (indexes into :data:`SECTIONS`); empty free-text fields are left out,
    choices always shown."""
    sections = []
    chosen = [SECTIONS[i] for i in order] if order else SECTIONS
    for title, fields in chosen:
        rows = [(field_label(f), field_value(version, f)) for f in fields]
        rows = [(label, value) for label, value in rows if value]
        sections.append((str(title), rows))
    return sections


def shared_with_names(version: AcpVersion) -> list[str]:
    return [f"{s.user.full_name} ({s.organisation.name})" for s in version.shares.all()]


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def acp_diff(*, old: AcpVersion, new: AcpVersion) -> list[Change]:
    """What changed from ``old`` to ``new``, field by field in the form's order, and who it is
    shared with (both versions come with their shares prefetched)."""
    changes = []
    for field in ACP_FIELDS:
        before, after = field_value(old, field), field_value(new, field)
        if before != after:
            changes.append(Change(field_label(field), before, after))
    before, after = shared_with_names(old), shared_with_names(new)
    if sorted(before) != sorted(after):
        changes.append(Change(_("Shared with"), ", ".join(before), ", ".join(after)))
    return changes


def acp_author_membership(*, access: AcpAccess) -> int | None:
    """The membership id of whoever recorded the newest version, at the practice: whom a
    proposed addition is addressed to."""
    version = access.version
    if version is None:
        return None
    return (
        Membership.objects.filter(
            user_id=version.created_by_id,
            organisation_id=version.organisation_id,
            is_active=True,
        )
        .values_list("pk", flat=True)
        .first()
    )


def acp_his_connected(*, access: AcpAccess) -> bool:
    return his_endpoint_for(practice_id=access.patient.practice_id) is not None


def acp_his_exports(*, access: AcpAccess) -> dict:
    """For the practice: the plan's exports to the HIS (newest first, at most 5) and whether
    the HIS is connected — two queries."""
    exports = []
    if access.plan is not None:
        exports = list(his_exports_of(model=AdvanceCarePlan, ids=[access.plan.pk])[:5])
    return {"exports": exports, "connected": acp_his_connected(access=access)}


def acp_patient_header(*, actor, access) -> PatientHeaderItem | None:
    """The patient header (registered in ``apps.py``): the plan's headline as badges and the
    *PZP* tab, for whoever may read the plan (the practice also before there is one)."""
    acp = acp_header_for(actor=actor, access=access)
    if acp is None:
        return None
    badges = tuple(acp.version.headline) if acp.version else ()
    return PatientHeaderItem(badges=badges, tab=(_("PZP"), "careplans:acp-detail", "acp"))
