"""The network app's models, split by topic; import them from here."""

from network.models.access_log import (
    AccessAction,
    AccessLogEntry,
    AccessOutcome,
    AccessRelationship,
)
from network.models.extractions import Extraction, ExtractionError
from network.models.grants import AccessGrant, AccessGrantReason
from network.models.matrix import AuthorisationRule, AuthorisationRuleChange
from network.models.patients import (
    MEDICAL_CATEGORIES,
    CareNetworkMember,
    CareNetworkReason,
    ContraIndication,
    DataCategory,
    Episode,
    Gender,
    Measurement,
    Medication,
    Patient,
    PatientSource,
)

__all__ = [
    "MEDICAL_CATEGORIES",
    "AccessAction",
    "AccessGrant",
    "AccessGrantReason",
    "AccessLogEntry",
    "AccessOutcome",
    "AccessRelationship",
    "AuthorisationRule",
    "AuthorisationRuleChange",
    "CareNetworkMember",
    "CareNetworkReason",
    "ContraIndication",
    "DataCategory",
    "Episode",
    "Extraction",
    "ExtractionError",
    "Gender",
    "Measurement",
    "Medication",
    "Patient",
    "PatientSource",
]
