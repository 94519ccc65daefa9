"""A referral as FHIR R4: a transaction Bundle with a ServiceRequest and a Task.

This is how Dutch systems exchange referrals: the ServiceRequest holds the question, the urgency
and the care pathway; the Task tracks the workflow (requested, accepted, rejected, completed).
The Patient carries only what the authorisation matrix lets the receiving organisation's kind
see, and episodes (Condition) only when that kind may see episodes. The practice's attachments
travel along as DocumentReferences. Patient, organisations and professionals follow nl-core.

Every step of one referral (sent, cancelled, closed, sent again) must land on the same records
at the receiver, and two regions' installations must never land on each other's: every resource
has a business identifier in this installation's system with a UUID kept on the object
(``his.fhir.own_identifier``), and the Bundle asks for conditional requests — create the
Patient, the organisations and the professional only if the receiver does not know them (by
BSN, URA, AGB or UZI when we have one), and update the ServiceRequest, the Task and the
Conditions found by our identifier (or create them). fullUrls are ``urn:uuid:`` from the same
UUIDs; the receiver rewrites references to them. The Bundle is validated with ``fhir.resources``
before it is returned.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from accounts.models import Membership
from his.fhir import (
    PROBLEM_PROFILE,
    conditional_create,
    conditional_update,
    icpc_coding,
    organization_match,
    organization_resource,
    own_identifier,
    patient_resource,
    practitioner_match,
    practitioner_resource,
    practitioner_role_resource,
    profile,
    role_uuid,
    team_resource,
)
from network.fhir import BSN_SYSTEM, SNOMED_SYSTEM
from network.models import AuthorisationRule, DataCategory, Episode
from referrals.models import Referral

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
# SNOMED CT 3457005 |Patient referral (procedure)|: what every one of our ServiceRequests is.
REFERRAL_CATEGORY = {"system": SNOMED_SYSTEM, "code": "3457005", "display": "Patient referral"}
# LOINC 57133-1 |Referral note|: the GP's letter and what goes with it.
REFERRAL_NOTE_TYPE = {"system": "http://loinc.org", "code": "57133-1", "display": "Referral note"}
TASK_CODE = {"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def receiver_categories(referral: Referral) -> frozenset[str]:
    """What the receiving organisation's kind may see (the current matrix)."""
    rule = AuthorisationRule.objects.filter(organisation_kind=referral.to_organisation.kind).first()
    return rule.categories if rule else frozenset()


def _urn(value: uuid.UUID) -> str:
    return f"urn:uuid:{value}"


def _ref(value: uuid.UUID, display: str = "") -> dict:
    reference = {"reference": _urn(value)}
    if display:
        reference["display"] = display
    return reference


def referring_professional(referral: Referral):
    """Who refers: the one who made the referral, or the GP an assistant works for."""
    membership = (
        Membership.objects.filter(user_id=referral.created_by_id, organisation=referral.practice)
        .select_related("acts_for")
        .first()
    )
    return membership.acts_for if membership and membership.acts_for_id else referral.created_by


def _episode_uuid(referral: Referral, episode: Episode) -> uuid.UUID:
    """An episode's identity: the patient's UUID with the HIS's own id of the episode."""
    key = f"episode:his:{episode.his_id}" if episode.his_id else f"episode:{episode.pk}"
    return uuid.uuid5(referral.patient.uuid, key)


def _conditions(referral: Referral, categories: frozenset[str]) -> list[dict]:
    if DataCategory.EPISODES not in categories:
        return []
    entries = []
    episodes = Episode.objects.filter(
        patient=referral.patient, status=Episode.Status.ACTIVE
    ).order_by("start_date", "pk")
    for episode in episodes:
        key = _episode_uuid(referral, episode)
        code = {"text": episode.title}
        if episode.icpc_code:
            code["coding"] = [icpc_coding(episode.icpc_code, episode.title)]
        condition = {
            "resourceType": "Condition",
            "meta": profile(PROBLEM_PROFILE),
            "identifier": [own_identifier(key)],
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
            "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
            "code": code,
            "subject": _ref(referral.patient.uuid),
        }
        if episode.start_date:
            condition["onsetDateTime"] = episode.start_date.isoformat()
        entries.append(conditional_update(condition, _urn(key), match=own_identifier(key)))
    return entries


def _documents(referral: Referral, author: dict) -> list[dict]:
    """The practice's attachments (not the feedback's) as DocumentReferences with their bytes:
    the GP chose to send them with the referral. Known by the referral and their content."""
    entries = []
    for attachment in referral.attachments.filter(feedback=None).order_by("pk"):
        with attachment.file.open("rb") as stored:
            data = stored.read()
        key = uuid.uuid5(referral.uuid, f"document:{hashlib.sha256(data).hexdigest()}")
        document = {
            "resourceType": "DocumentReference",
            "identifier": [own_identifier(key)],
            "status": "current",
            "type": {"coding": [REFERRAL_NOTE_TYPE], "text": "Verwijsbrief of bijlage"},
            "subject": _ref(referral.patient.uuid),
            "date": attachment.created_at.isoformat(timespec="seconds"),
            "author": [author],
            "description": attachment.original_name,
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
        entries.append(conditional_create(document, _urn(key), match=own_identifier(key)))
    return entries


def _parties(referral: Referral) -> tuple[list[dict], dict, dict]:
    """(entries, requester reference, performer reference): the practice, the referring
    professional and their role, the receiving organisation and its team."""
    practice, receiver, team = referral.practice, referral.to_organisation, referral.to_team
    gp = referring_professional(referral)
    role_key = role_uuid(gp, practice)
    entries = [
        conditional_create(
            organization_resource(practice),
            _urn(practice.uuid),
            match=organization_match(practice),
        ),
        conditional_create(practitioner_resource(gp), _urn(gp.uuid), match=practitioner_match(gp)),
        conditional_create(
            practitioner_role_resource(
                gp,
                practice,
                practitioner=_ref(gp.uuid, gp.full_name),
                organization=_ref(practice.uuid, practice.name),
            ),
            _urn(role_key),
            match=own_identifier(role_key),
        ),
        conditional_create(
            organization_resource(receiver),
            _urn(receiver.uuid),
            match=organization_match(receiver),
        ),
    ]
    performer = _ref(receiver.uuid, receiver.name)
    if team is not None:
        entries.append(
            conditional_create(
                team_resource(team, part_of=_ref(receiver.uuid, receiver.name)),
                _urn(team.uuid),
                match=own_identifier(team.uuid),
            )
        )
        performer = _ref(team.uuid, f"{team.name} ({receiver.name})")
    requester = _ref(role_key, f"{gp.full_name} ({practice.name})")
    return entries, requester, performer


def _service_request(referral, *, requester, performer, supporting) -> dict:
    pathway = referral.care_pathway
    code = {"text": pathway.name if pathway else "Verwijzing"}
    service_request = {
        "resourceType": "ServiceRequest",
        "identifier": [own_identifier(referral.uuid)],
        "status": SERVICE_REQUEST_STATUS[referral.state],
        "intent": "order",
        "category": [{"coding": [REFERRAL_CATEGORY], "text": "Verwijzing"}],
        "priority": PRIORITY[referral.urgency],
        "code": code,
        "subject": _ref(referral.patient.uuid),
        "authoredOn": (referral.sent_at or referral.created_at).isoformat(timespec="seconds"),
        "requester": requester,
        "performer": [performer],
        "note": [{"text": referral.question}],
    }
    if supporting:
        service_request["supportingInfo"] = [{"reference": url} for url in supporting]
    return service_request


def _task(referral, *, requester, performer, service_request_key) -> dict:
    task = {
        "resourceType": "Task",
        "identifier": [own_identifier(referral.uuid)],
        "status": TASK_STATUS[referral.state],
        "intent": "order",
        "code": {"coding": [TASK_CODE]},
        "focus": _ref(service_request_key),
        "for": _ref(referral.patient.uuid),
        "authoredOn": referral.created_at.isoformat(timespec="seconds"),
        "lastModified": timezone.now().isoformat(timespec="seconds"),
        "requester": requester,
        "owner": performer,
    }
    if referral.state == S.DECLINED and referral.decline_reason:
        task["statusReason"] = {"text": referral.decline_reason}
    return task


def service_request_identifier(referral: Referral) -> dict:
    """The business identifier of the referral's ServiceRequest (and Task) at the receiver."""
    return own_identifier(referral.uuid)


def referral_bundle(referral: Referral) -> dict:
    """The referral as a FHIR R4 transaction Bundle (JSON dict) of conditional requests,
    validated. Built again at every step, it always names the same resources."""
    categories = receiver_categories(referral)
    identity = DataCategory.IDENTITY in categories
    patient = patient_resource(referral.patient, identity=identity)
    patient_match = patient["identifier"][0]
    if patient_match["system"] != BSN_SYSTEM:
        patient_match = own_identifier(referral.patient.uuid)
    parties, requester, performer = _parties(referral)
    conditions = _conditions(referral, categories)
    documents = _documents(referral, requester)
    service_request_key = uuid.uuid5(referral.uuid, "ServiceRequest")
    task_key = uuid.uuid5(referral.uuid, "Task")
    service_request = _service_request(
        referral,
        requester=requester,
        performer=performer,
        supporting=[e["fullUrl"] for e in (*conditions, *documents)],
    )
    task = _task(
        referral,
        requester=requester,
        performer=performer,
        service_request_key=service_request_key,
    )
    bundle = {
        "resourceType": "Bundle",
        # One Bundle per step of the referral; built again, it has the same id.
        "id": str(uuid.uuid5(referral.uuid, f"Bundle:{referral.state}")),
        "type": "transaction",
        "entry": [
            conditional_create(patient, _urn(referral.patient.uuid), match=patient_match),
            *parties,
            *conditions,
            *documents,
            conditional_update(
                service_request,
                _urn(service_request_key),
                match=service_request_identifier(referral),
            ),
            conditional_update(task, _urn(task_key), match=own_identifier(referral.uuid)),
        ],
    }
    Bundle.model_validate(bundle)  # raises if we built something invalid
    return bundle
