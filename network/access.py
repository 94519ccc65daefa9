"""The one place that decides who may see which patient, and which of their data.

- Practice staff see their own practice's patients when a level-A colleague gave them
  *toegang tot patiëntdata* and their level includes collaboration. They see every category.
- A network partner (or another practice) sees a patient only when the practice made the patient
  visible *and* they are a current member of the patient's care network for the organisation
  they act for — and then only the categories the authorisation matrix allows that kind of
  organisation.
- While an access grant for their organisation (or their team) is active, they see the patient,
  with the categories the matrix allows, whether or not the patient is visible to the network.
  Feature apps write grants in network's own terms: an open referral holds one for its
  receivers (``referrals.services``). After it ends, their access follows the care network only.
- Nobody else sees anything. "Not yours" and "does not exist" get the same 404.

Access is decided for the *acting* membership (the organisation chosen in the header), because
NEN 7513 logs on behalf of which organisation someone looked. Every answer that shows patient
data writes an access-log entry first; if that write fails, the data is not shown. The
relationship that entry records (own practice, referral, care network, shared inbox) is decided
by :func:`relationship_of` alone; every log write asks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.client_ip import client_ip
from accounts.levels import Capability
from accounts.models import Membership
from network.access_log import access_log_write
from network.models import (
    AccessAction,
    AccessGrant,
    AccessOutcome,
    AccessRelationship,
    AuthorisationRule,
    CareNetworkMember,
    DataCategory,
    Patient,
)

ALL_CATEGORIES: frozenset[str] = frozenset(DataCategory.values)


@dataclass(frozen=True)
class Actor:
    """Who is acting, for which organisation, from where — everything the log needs."""

    user: object
    membership: Membership | None
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""

    @classmethod
    def from_request(cls, request) -> Actor:
        return cls(
            user=request.user,
            membership=getattr(request, "membership", None),
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            request_id=getattr(request, "request_id", ""),
        )

    @property
    def organisation(self):
        return self.membership.organisation if self.membership else None


@dataclass(frozen=True)
class PatientSelfActor:
    """The patient acting for themselves (NEN 7513): a questionnaire link, opened without an
    account and confirmed with the date of birth. Logged under the patient's name, for the
    organisation whose care provider sent the link (``responsible_user_id``, the sender). Has
    no user and no membership, so :func:`collaborates` and every scope here answer "nothing"."""

    patient: Patient
    organisation: object | None
    responsible_user_id: int | None
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""
    user = None
    membership = None

    @classmethod
    def from_request(cls, request, *, patient, organisation, responsible_user_id):
        return cls(
            patient=patient,
            organisation=organisation,
            responsible_user_id=responsible_user_id,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            request_id=getattr(request, "request_id", ""),
        )


def collaborating_actor(request) -> Actor:
    """The request's actor, for views of collaboration features; 403 when the acting membership
    does not collaborate (a level without it, no organisation chosen, a deactivated account)."""
    actor = Actor.from_request(request)
    if not collaborates(actor):
        raise PermissionDenied
    return actor


def collaborates(actor: Actor) -> bool:
    membership = actor.membership
    return (
        membership is not None
        and getattr(actor.user, "is_authenticated", False)
        and actor.user.is_active
        and membership.user_id == actor.user.pk
        and membership.can(Capability.COLLABORATE)
    )


def sees_own_practice_patients(actor: Actor) -> bool:
    membership = actor.membership
    return (
        collaborates(actor)
        and membership.organisation.is_gp_practice
        and membership.has_patient_data_access
    )


def _current_network_of(actor: Actor) -> QuerySet[CareNetworkMember]:
    return CareNetworkMember.objects.current().filter(
        user_id=actor.user.pk, organisation_id=actor.membership.organisation_id
    )


def _active_grants_for(actor: Actor) -> QuerySet[AccessGrant]:
    """Active grants for the actor's organisation — for the whole organisation, or for a team
    the actor is in."""
    membership = actor.membership
    return AccessGrant.objects.active().filter(
        Q(team__isnull=True) | Q(team__in=membership.teams.all()),
        organisation_id=membership.organisation_id,
    )


def patients_visible_to(actor: Actor) -> QuerySet[Patient]:
    """Every patient ``actor`` may see, as a queryset; the rule, as one WHERE clause."""
    if not collaborates(actor):
        return Patient.objects.none()
    in_network = Exists(_current_network_of(actor).filter(patient_id=OuterRef("pk")))
    granted = Exists(_active_grants_for(actor).filter(patient_id=OuterRef("pk")))
    rule = (Q(is_visible=True) & in_network) | granted
    if sees_own_practice_patients(actor):
        rule |= Q(practice_id=actor.membership.organisation_id)
    return Patient.objects.filter(rule)


# --- the relationship (NEN 7513) ----------------------------------------------------------


def relationship_facts(actor: Actor, *, patient: str = "pk") -> dict[str, Exists]:
    """Annotations that let :func:`relationship_of` answer for every row of a list in the
    query that fetches the rows: ``access_granted`` (an active grant lets the actor see the
    patient) and ``in_care_network``. ``patient`` is the outer field holding the patient id
    (``"pk"`` on patients, ``"patient_id"`` on rows about one)."""
    return {
        "access_granted": Exists(_active_grants_for(actor).filter(patient_id=OuterRef(patient))),
        "in_care_network": Exists(_current_network_of(actor).filter(patient_id=OuterRef(patient))),
    }


def is_own_practice_patient(actor: Actor, patient: Patient) -> bool:
    return (
        sees_own_practice_patients(actor)
        and patient.practice_id == actor.membership.organisation_id
    )


def relationship_of(
    actor: Actor,
    patient: Patient | None,
    *,
    access_granted: bool | None = None,
    in_care_network: bool | None = None,
    via_shared_inbox: bool = False,
) -> str:
    """Why ``actor`` may look at ``patient``: the relationship the access log records.

    In this order: the patient's own practice; an active access grant (an open referral to
    them); the care network of a patient the practice made visible; a shared inbox of the
    acting organisation that takes part in a conversation about a visible patient
    (``via_shared_inbox``, told by the conversations app, which owns inboxes); else none.
    Facts not given are looked up (one query each, only when needed); lists pass them in,
    annotated by :func:`relationship_facts`. Without a patient (a list of them): own practice
    for those who see their practice's patients, else care network.
    """
    if patient is None:
        if sees_own_practice_patients(actor):
            return AccessRelationship.OWN_PRACTICE
        return AccessRelationship.CARE_NETWORK
    if is_own_practice_patient(actor, patient):
        return AccessRelationship.OWN_PRACTICE
    if not collaborates(actor):
        return AccessRelationship.NONE
    if access_granted is None:
        access_granted = _active_grants_for(actor).filter(patient_id=patient.pk).exists()
    if access_granted:  # every grant is an open referral's today (AccessGrantReason)
        return AccessRelationship.REFERRAL
    if patient.is_visible:
        if in_care_network is None:
            in_care_network = _current_network_of(actor).filter(patient_id=patient.pk).exists()
        if in_care_network:
            return AccessRelationship.CARE_NETWORK
        if via_shared_inbox:
            return AccessRelationship.SHARED_INBOX
    return AccessRelationship.NONE


def categories_for(actor: Actor) -> frozenset[str]:
    """The data categories a network partner's organisation kind may see (current matrix)."""
    if actor.membership is None:
        return frozenset()
    rule = AuthorisationRule.objects.filter(
        organisation_kind=actor.membership.organisation.kind
    ).first()
    return rule.categories if rule else frozenset()


@dataclass(frozen=True)
class PatientAccess:
    """A patient as one actor may see them: why, and which categories."""

    patient: Patient
    relationship: str
    categories: frozenset[str]
    network_member: CareNetworkMember | None = field(default=None, compare=False)

    @property
    def is_own_practice(self) -> bool:
        return self.relationship == AccessRelationship.OWN_PRACTICE

    def can_see(self, category: str) -> bool:
        return category in self.categories

    @property
    def can_see_identity(self) -> bool:
        return DataCategory.IDENTITY in self.categories

    # What only the practice may do with its patients.
    can_change_visibility = is_own_practice
    can_read_access_log = is_own_practice
    can_end_any_network_member = is_own_practice

    @property
    def can_edit(self) -> bool:
        return self.is_own_practice

    @property
    def can_add_network_member(self) -> bool:
        """Anyone in the care network (and the practice) may add providers."""
        return True


def _resolve(actor: Actor, patient: Patient) -> PatientAccess:
    member = None
    if not is_own_practice_patient(actor, patient):
        member = _current_network_of(actor).filter(patient=patient).first()
    relationship = relationship_of(
        actor, patient, access_granted=patient.access_granted, in_care_network=member is not None
    )
    if relationship == AccessRelationship.OWN_PRACTICE:
        return PatientAccess(patient, relationship, ALL_CATEGORIES)
    if relationship == AccessRelationship.NONE:  # patients_visible_to already said yes
        raise Http404
    return PatientAccess(patient, relationship, categories_for(actor), member)


def patient_access_for(*, actor: Actor, pk) -> PatientAccess:
    """Access to one patient without logging — only for writes that log themselves."""
    visible = patients_visible_to(actor).select_related("practice")
    if collaborates(actor):
        # Whether a grant is the relationship, in the same query.
        visible = visible.annotate(
            access_granted=Exists(_active_grants_for(actor).filter(patient_id=OuterRef("pk")))
        )
    try:
        patient = visible.get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return _resolve(actor, patient)


def patient_get_for(
    *,
    actor: Actor,
    pk,
    data: Iterable[str] = (DataCategory.IDENTITY,),
    object_ref: str = "",
    action: str = AccessAction.READ,
    require: str = "",
) -> PatientAccess:
    """The patient, if ``actor`` may see them; else 404 — the same for 'missing' and 'not yours'.

    ``data`` names the categories (or other parts, such as ``care_network``) the caller is about
    to show; the entry records the ones the actor may see. ``require`` names a
    :class:`PatientAccess` permission (``"can_read_access_log"``): without it, 403 — the actor
    may see the patient but not do this. Refusals are logged too.
    """
    try:
        access = patient_access_for(actor=actor, pk=pk)
    except Http404:
        _log_refusal(actor=actor, pk=pk, action=action, object_ref=object_ref)
        raise
    if require and not getattr(access, require):
        refusal_log(actor=actor, access=access, action=action, object_ref=object_ref or require)
        raise PermissionDenied
    shown = [d for d in data if d not in ALL_CATEGORIES or access.can_see(d)]
    access_log_write(
        actor=actor,
        action=action,
        relationship=access.relationship,
        patient=access.patient,
        data=shown,
        object_ref=object_ref,
    )
    return access


def refusal_log(*, actor: Actor, access: PatientAccess, action: str, object_ref: str) -> None:
    """Log that ``actor``, who may see the patient, was refused ``action`` on ``object_ref``
    (a 403: for example a reader who tries to edit), with their true relationship."""
    access_log_write(
        actor=actor,
        action=action,
        relationship=access.relationship,
        outcome=AccessOutcome.DENIED,
        patient=access.patient,
        object_ref=object_ref,
    )


def _log_refusal(*, actor: Actor, pk, action: str, object_ref: str) -> None:
    if not getattr(actor.user, "is_authenticated", False):
        return
    existing = (
        Patient.objects.filter(pk=pk).values_list("pk", flat=True).first()
        if str(pk).isdigit()
        else None
    )
    access_log_write(
        actor=actor,
        action=action,
        relationship=AccessRelationship.NONE,
        outcome=AccessOutcome.DENIED,
        patient_id=existing,
        object_ref=object_ref or f"patient:{str(pk)[:20]}",
    )


def can_upload_extraction(actor: Actor) -> bool:
    """Upload and follow HIS extractions: own practice, the level allows it, patient-data access."""
    membership = actor.membership
    return (
        membership is not None
        and getattr(actor.user, "is_authenticated", False)
        and membership.user_id == actor.user.pk
        and membership.organisation.is_gp_practice
        and membership.has_patient_data_access
        and membership.can(Capability.UPLOAD_EXTRACTION)
    )
