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

__all__ = [
    "ACP_FIELDS",
    "TREATMENTS",
    "AcpShare",
    "AcpVersion",
    "AdvanceCarePlan",
    "Decision",
    "TreatmentDecision",
]
