"""A referral as FHIR R4: a transaction Bundle with a ServiceRequest and a Task.

This is how Dutch systems exchange referrals: the ServiceRequest holds the question, the urgency
and the care pathway; the Task tracks the workflow (requested, accepted, rejected, completed).
The Patient carries only what the authorisation matrix lets the receiving organisation's kind
see, and episodes (Condition) only when that kind may see episodes. The practice's attachments
travel along as DocumentReferences. The Bundle is validated with ``fhir.resources`` before it is
returned.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from his.fhir import icpc_coding, organization_resource, patient_identifiers
from network.models import AuthorisationRule, DataCategory, Episode
from referrals.models import Referral

REFERRAL_SYSTEM = "https://regiozorg.nl/fhir/NamingSystem/verwijzing"

S = Referral.State
SERVICE_REQUEST_STATUS = {
    S.DRAFT: "draft",
    S.SENT: "active",
    S.ACCEPTED: "active",
    S.DECLINED: "revoked",
    S.CANCELLED: "revoked",
    S.CLOSED: "completed",
}
TASK_STATUS = {
    S.DRAFT: "draft",
    S.SENT: "requested",
    S.ACCEPTED: "in-progress",
    S.DECLINED: "rejected",
    S.CANCELLED: "cancelled",
    S.CLOSED: "completed",
}
PRIORITY = {
    Referral.Urgency.ROUTINE: "routine",
    Referral.Urgency.SOON: "urgent",
    Referral.Urgency.URGENT: "asap",
}


def receiver_categories(referral: Referral) -> frozenset[str]:
    """What the receiving organisation's kind may see (the current matrix)."""
    rule = AuthorisationRule.objects.filter(organisation_kind=referral.to_organisation.kind).first()
    return rule.categories if rule else frozenset()


def _patient(referral: Referral, categories: frozenset[str]) -> dict:
    patient = referral.patient
    resource = {"resourceType": "Patient", "id": "patient"}
    # The BSN only when the matrix shows the receiver the patient's identity.
    identity = DataCategory.IDENTITY in categories
    identifiers = patient_identifiers(bsn=patient.bsn if identity else "", his_id=patient.his_id)
    if identity:
        resource["name"] = [{"text": patient.formal_name, "family": patient.surname}]
        resource["birthDate"] = patient.birth_date.isoformat()
        if patient.gender in ("male", "female", "other", "unknown"):
            resource["gender"] = patient.gender
    if identifiers:
        resource["identifier"] = identifiers
    return resource


def _ref(key: uuid.UUID, name: str) -> str:
    """A stable ``urn:uuid:`` for one resource of one referral's Bundle."""
    return f"urn:uuid:{uuid.uuid5(key, name)}"


def _conditions(referral: Referral, categories: frozenset[str], key: uuid.UUID) -> list[dict]:
    if DataCategory.EPISODES not in categories:
        return []
    conditions = []
    episodes = Episode.objects.filter(
        patient=referral.patient, status=Episode.Status.ACTIVE
    ).order_by("start_date", "pk")
    for n, episode in enumerate(episodes, 1):
        code = {"text": episode.title}
        if episode.icpc_code:
            code["coding"] = [icpc_coding(episode.icpc_code, episode.title)]
        condition = {
            "resourceType": "Condition",
            "id": f"episode-{n}",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": code,
            "subject": {"reference": _ref(key, "patient")},
        }
        if episode.start_date:
            condition["onsetDateTime"] = episode.start_date.isoformat()
        conditions.append(condition)
    return conditions


def _documents(referral: Referral, key: uuid.UUID) -> list[dict]:
    """The practice's attachments (not the feedback's) as DocumentReferences with their bytes:
    the GP chose to send them with the referral."""
    documents = []
    for n, attachment in enumerate(referral.attachments.filter(feedback=None).order_by("pk"), 1):
        with attachment.file.open("rb") as stored:
            data = stored.read()
        documents.append(
            {
                "resourceType": "DocumentReference",
                "id": f"attachment-{n}",
                "status": "current",
                "subject": {"reference": _ref(key, "patient")},
                "date": attachment.created_at.isoformat(timespec="seconds"),
                "author": [{"reference": _ref(key, "practice")}],
                "content": [
                    {
                        "attachment": {
                            "contentType": attachment.content_type,
                            "title": attachment.original_name,
                            "size": attachment.size,
                            "hash": base64.b64encode(hashlib.sha1(data).digest()).decode(),  # noqa: S324 (FHIR's hash is SHA-1)
                            "data": base64.b64encode(data).decode(),
                        }
                    }
                ],
            }
        )
    return documents


def referral_bundle(referral: Referral) -> dict:
    """The referral as a FHIR R4 transaction Bundle (JSON dict), validated."""
    categories = receiver_categories(referral)
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"{REFERRAL_SYSTEM}/{referral.pk}")
    identifier = [{"system": REFERRAL_SYSTEM, "value": str(referral.pk)}]
    conditions = _conditions(referral, categories, key)
    documents = _documents(referral, key)
    service_request = {
        "resourceType": "ServiceRequest",
        "id": "service-request",
        "identifier": identifier,
        "status": SERVICE_REQUEST_STATUS[referral.state],
        "intent": "order",
        "priority": PRIORITY[referral.urgency],
        "subject": {"reference": _ref(key, "patient")},
        "requester": {"reference": _ref(key, "practice")},
        "performer": [{"reference": _ref(key, "receiver")}],
        "note": [{"text": referral.question}],
        "authoredOn": (referral.sent_at or referral.created_at).isoformat(timespec="seconds"),
    }
    if referral.care_pathway:
        service_request["reasonCode"] = [{"text": referral.care_pathway.name}]
    if conditions or documents:
        service_request["supportingInfo"] = [
            {"reference": _ref(key, resource["id"])} for resource in (*conditions, *documents)
        ]
    task = {
        "resourceType": "Task",
        "id": "task",
        "identifier": identifier,
        "status": TASK_STATUS[referral.state],
        "intent": "order",
        "focus": {"reference": _ref(key, "service-request")},
        "for": {"reference": _ref(key, "patient")},
        "requester": {"reference": _ref(key, "practice")},
        "owner": {"reference": _ref(key, "receiver")},
        "authoredOn": referral.created_at.isoformat(timespec="seconds"),
        "lastModified": timezone.now().isoformat(timespec="seconds"),
    }
    if referral.state == S.DECLINED and referral.decline_reason:
        task["statusReason"] = {"text": referral.decline_reason}
    resources = [
        _patient(referral, categories),
        organization_resource(referral.practice, "practice"),
        organization_resource(referral.to_organisation, "receiver"),
        service_request,
        task,
        *conditions,
        *documents,
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": str(key),
        "type": "transaction",
        "entry": [
            {
                "fullUrl": _ref(key, resource["id"]),
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for resource in resources
        ],
    }
    Bundle.model_validate(bundle)  # raises if we built something invalid
    return bundle
