"""The questionnaires app's models, split by topic; import them from here."""

from questionnaires.models.library import (
    AnswerOption,
    Condition,
    Cutoff,
    Item,
    Questionnaire,
    Response,
    ScoringRule,
)
from questionnaires.models.links import PatientLink, PatientLinkToken
from questionnaires.models.measurements import (
    KINDS,
    HomeMeasurement,
    KindSpec,
    MeasurementAlert,
    MeasurementKind,
    MeasurementThreshold,
)

__all__ = [
    "KINDS",
    "AnswerOption",
    "Condition",
    "Cutoff",
    "HomeMeasurement",
    "Item",
    "KindSpec",
    "MeasurementAlert",
    "MeasurementKind",
    "MeasurementThreshold",
    "PatientLink",
    "PatientLinkToken",
    "Questionnaire",
    "Response",
    "ScoringRule",
]
