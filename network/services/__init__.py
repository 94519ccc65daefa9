"""Writes of the network app, split by topic."""

from network.services.extractions import (
    ExtractionRejected,
    extraction_fail,
    extraction_import,
    extraction_upload,
)
from network.services.grants import access_grant_end, access_grant_open
from network.services.matrix import authorisation_rule_update
from network.services.patients import (
    can_end_network_member,
    care_network_add,
    care_network_end,
    patient_create,
    patient_update,
    patient_visibility_set,
)

__all__ = [
    "ExtractionRejected",
    "access_grant_end",
    "access_grant_open",
    "authorisation_rule_update",
    "can_end_network_member",
    "care_network_add",
    "care_network_end",
    "extraction_fail",
    "extraction_import",
    "extraction_upload",
    "patient_create",
    "patient_update",
    "patient_visibility_set",
]
