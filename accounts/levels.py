"""Organisation kinds, access levels and roles as data: the one table that says who may do what.

GP-practice staff have a level (A, B, B+, C, C+, D, E) exactly as the care group's staff
instruction describes it (``shared/seeds/002``); network partners have a role (lead provider or
provider). Everything that gates a feature asks ``Membership.can`` — never a level letter.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    GP_PRACTICE = "gp_practice", _("GP practice")
    DISTRICT_NURSING = "district_nursing", _("District nursing / VVT")
    PHYSIOTHERAPY = "physiotherapy", _("Physiotherapy")
    PHARMACY = "pharmacy", _("Pharmacy")
    DIETETICS = "dietetics", _("Dietetics")
    ELDERLY_CARE_PHYSICIAN = "elderly_care_physician", _("Elderly-care physician")
    MENTAL_HEALTH = "mental_health", _("Mental health care")
    SOCIAL_DOMAIN = "social_domain", _("Social domain")
    CARE_GROUP = "care_group", _("Care group")
    OTHER = "other", _("Other")


class Level(models.TextChoices):
    A = "A", _("Level A")
    B = "B", _("Level B")
    B_PLUS = "B+", _("Level B+")
    C = "C", _("Level C")
    C_PLUS = "C+", _("Level C+")
    D = "D", _("Level D")
    E = "E", _("Level E")


class Role(models.TextChoices):
    LEAD = "lead", _("Lead provider")
    PROVIDER = "provider", _("Provider")


class Capability(StrEnum):
    # Practice administration
    MANAGE_STAFF = "manage_staff"
    # Collaboration (Samenwerken): patient overview, refer, consult, home measurements
    COLLABORATE = "collaborate"
    MESSAGES = "messages"
    INVITE_PROVIDERS = "invite_providers"  # practice invites providers outside the practice
    INVITE_COLLEAGUES = "invite_colleagues"  # lead provider invites own colleagues
    UPLOAD_EXTRACTION = "upload_extraction"
    # Billing (Declareren) — out of scope for now, but the levels gate it
    BILLING_PRACTICE = "billing_practice"  # practice declarations: manual invoices, attention
    BILLING_CHECKS = "billing_checks"  # checks (Controles): COV, ION, per patient
    BILLING_BUNDLE_OVERVIEW = "billing_bundle_overview"  # bundle overviews
    BILLING_CARE_GROUP = "billing_care_group"  # run care-group declarations
    BILLING_CARE_GROUP_AMOUNTS = "billing_care_group_amounts"  # see their amounts
    BILLING_CHAIN_COUNTS = "billing_chain_counts"  # chain-care declarations (counts)
    # Insights (Inzicht) — out of scope for now
    DASHBOARDS = "dashboards"
    REPORTS = "reports"


C = Capability

_LEVEL_C = frozenset(
    {
        C.BILLING_CARE_GROUP,
        C.BILLING_BUNDLE_OVERVIEW,
        C.DASHBOARDS,
        C.REPORTS,
        C.COLLABORATE,
        C.INVITE_PROVIDERS,
        C.UPLOAD_EXTRACTION,
        C.MESSAGES,
    }
)
_LEVEL_B = frozenset({C.BILLING_PRACTICE, C.BILLING_CHECKS})

LEVEL_CAPABILITIES: dict[str, frozenset[Capability]] = {
    # "may use every function of the product the practice is entitled to"
    Level.A: frozenset(Capability),
    # "some billing functions (practice declarations: manual invoices, attention needed)
    #  and checks (COV, ION, per patient)"
    Level.B: _LEVEL_B,
    # "as B, plus the bundle overviews and limited access to Insights (dashboards)"
    Level.B_PLUS: _LEVEL_B | {C.BILLING_BUNDLE_OVERVIEW, C.DASHBOARDS},
    # "care-group declarations without amounts, reports and dashboards, all collaboration,
    #  upload extractions, send and receive messages"
    Level.C: _LEVEL_C,
    # "as C, and may see the amounts of the care-group declarations"
    Level.C_PLUS: _LEVEL_C | {C.BILLING_CARE_GROUP_AMOUNTS},
    # "reports, chain-care dashboard and chain-care declarations (counts); upload extractions"
    Level.D: frozenset({C.REPORTS, C.DASHBOARDS, C.BILLING_CHAIN_COUNTS, C.UPLOAD_EXTRACTION}),
    # "all collaboration around the patient; send and receive messages"
    Level.E: frozenset({C.COLLABORATE, C.INVITE_PROVIDERS, C.MESSAGES}),
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.PROVIDER: frozenset({C.COLLABORATE, C.MESSAGES}),
    # Only a lead provider (Hoofdzorgverlener) may invite colleagues of their own organisation.
    Role.LEAD: frozenset({C.COLLABORATE, C.MESSAGES, C.INVITE_COLLEAGUES}),
}

# The care group runs the helpdesk; its people talk to providers but take no part in care.
CARE_GROUP_CAPABILITIES: frozenset[Capability] = frozenset({C.MESSAGES})


def capabilities_for(*, kind: str, level: str = "", role: str = "") -> frozenset[Capability]:
    if kind == OrganisationKind.GP_PRACTICE:
        return LEVEL_CAPABILITIES.get(level, frozenset())
    if kind == OrganisationKind.CARE_GROUP:
        return CARE_GROUP_CAPABILITIES
    return ROLE_CAPABILITIES.get(role, frozenset())
