"""The questionnaires app's models, split by topic; import them from here."""

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
    "HomeMeasurement",
    "KindSpec",
    "MeasurementAlert",
    "MeasurementKind",
    "MeasurementThreshold",
]
