"""The care plans app's models, split by topic; import them from here."""

from careplans.models.acp import (
    ACP_FIELDS,
    TREATMENTS,
    AcpShare,
    AcpVersion,
    AdvanceCarePlan,
    Decision,
    TreatmentDecision,
)
from careplans.models.health_plan import Action, Goal, HealthPlan, PlanChange, Problem

__all__ = [
    "ACP_FIELDS",
    "TREATMENTS",
    "AcpShare",
    "AcpVersion",
    "Action",
    "AdvanceCarePlan",
    "Decision",
    "Goal",
    "HealthPlan",
    "PlanChange",
    "Problem",
    "TreatmentDecision",
]
