from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.levels import LEVEL_CAPABILITIES, ROLE_CAPABILITIES, Capability
from accounts.models import Membership, OrganisationKind
from accounts.presence import absences_today_prefetch
from network.access import (
    Actor,
    PatientAccess,
    can_upload_extraction,
    patients_visible_to,
    relationship_of,
)
from network.access_log import access_log_write
from network.models import (
    AccessAction,
    AccessLogEntry,
    CareNetworkMember,
    ContraIndication,
    DataCategory,
    Episode,
    Extraction,
    ExtractionError,
    Measurement,
    Medication,
)

# --- Patients -------------------------------------------------------------------------------
# Every read of patient data starts from network.access; nothing here queries Patient itself.

PATIENTS_PER_PAGE = 25
ACCESS_LOG_PER_PAGE = 50
MEASUREMENTS_SHOWN = 60
NETWORK_CANDIDATES_SHOWN = 15
_MAX_SEARCH_TERMS = 5
_DATE_PATTERNS = (
    re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{4})"),
)


def _parse_birth_date(term: str) -> datetime.date | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(term)
        if match:
            try:
                return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def patient_search_filter(query: str) -> Q:
    """Every word must match: a date of birth (14-03-1941), a BSN (9 digits) or a name part."""
    condition = Q()
    for term in query.split()[:_MAX_SEARCH_TERMS]:
        born = _parse_birth_date(term)
        if born:
            condition &= Q(birth_date=born)
        elif re.fullmatch(r"\d{9}", term):
            condition &= Q(bsn=term)
        else:
            condition &= (
                Q(surname__icontains=term)
                | Q(first_name__icontains=term)
                | Q(infix__icontains=term)
                | Q(initials__iexact=term)
                | Q(his_id__iexact=term)
            )
    return condition


def patient_list_for(*, actor: Actor, query: str = "", page=1) -> Page:
    """One page of the patients ``actor`` may see, searched; the search is logged (not its hits).

    Queries: count + page + the log write, whatever the number of patients.
    """
    patients = (
        patients_visible_to(actor)
        .filter(patient_search_filter(query))
        .select_related("practice")
        .order_by("surname", "first_name", "pk")
    )
    result = Paginator(patients, PATIENTS_PER_PAGE).get_page(page)
    access_log_write(
        actor=actor,
        action=AccessAction.SEARCH if query else AccessAction.READ,
        relationship=relationship_of(actor, None),
        data=[DataCategory.IDENTITY],
        object_ref=f"patient_list:page={result.number}",
        query=query,
    )
    return result


@dataclass(frozen=True)
class MedicalData:
    episodes: list | None
    medications: list | None
    contra_indications: list | None
    measurements: list | None
    journal_allowed: bool


def patient_medical_data(*, access: PatientAccess) -> MedicalData:
    """The medical categories the access allows; ``None`` for a category it does not."""
    patient = access.patient

    def allowed(category, queryset):
        return list(queryset) if access.can_see(category) else None

    return MedicalData(
        episodes=allowed(DataCategory.EPISODES, Episode.objects.filter(patient=patient)),
        medications=allowed(DataCategory.MEDICATION, Medication.objects.filter(patient=patient)),
        contra_indications=allowed(
            DataCategory.CONTRA_INDICATIONS, ContraIndication.objects.filter(patient=patient)
        ),
        measurements=allowed(
            DataCategory.MEASUREMENTS,
            Measurement.objects.filter(patient=patient)[:MEASUREMENTS_SHOWN],
        ),
        journal_allowed=access.can_see(DataCategory.JOURNAL),
    )


def patient_summary(*, access: PatientAccess) -> dict:
    """Counts and the active episodes for the overview tab (allowed categories only)."""
    patient = access.patient
    return {
        "active_episodes": (
            list(Episode.objects.filter(patient=patient, status=Episode.Status.ACTIVE))
            if access.can_see(DataCategory.EPISODES)
            else None
        ),
        "current_medication": (
            list(Medication.objects.filter(patient=patient, status=Medication.Status.ACTIVE))
            if access.can_see(DataCategory.MEDICATION)
            else None
        ),
        "contra_indications": (
            list(ContraIndication.objects.filter(patient=patient))
            if access.can_see(DataCategory.CONTRA_INDICATIONS)
            else None
        ),
    }


def _with_member_presence(queryset: QuerySet, today: datetime.date) -> QuerySet:
    return queryset.select_related("user", "organisation", "added_by", "ended_by").prefetch_related(
        absences_today_prefetch(today=today)
    )


def care_network_for(*, access: PatientAccess) -> tuple[list, list]:
    """(current members, ended members) of the patient's care network, oldest first."""
    today = timezone.localdate()
    members = _with_member_presence(
        CareNetworkMember.objects.filter(patient=access.patient).order_by("started_at", "pk"),
        today,
    )
    current, ended = [], []
    for member in members:
        (current if member.ended_at is None else ended).append(member)
    return current, ended


def care_network_member_get(*, access: PatientAccess, pk) -> CareNetworkMember:
    """A current member of this patient's network; 404 for anything else."""
    member = (
        CareNetworkMember.objects.current()
        .select_related("user", "organisation")
        .filter(patient=access.patient, pk=pk)
        .first()
    )
    if member is None:
        raise Http404
    return member


def care_network_candidates(*, access: PatientAccess, query: str) -> list[Membership]:
    """Providers of network organisations, by name, who are not in the network yet."""
    words = query.split()[:_MAX_SEARCH_TERMS]
    if not words or len(query.strip()) < 2:
        return []
    memberships = (
        _outside_the_network(access)
        # An organisation a practice proposed is not part of the network until confirmed.
        .exclude(organisation__proposed_by__isnull=False, organisation__confirmed_at__isnull=True)
    )
    for word in words:
        memberships = memberships.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(organisation__name__icontains=word)
        )
    today = timezone.localdate()
    rows = (
        memberships.select_related("user", "organisation")
        .prefetch_related(absences_today_prefetch(today=today))
        .order_by("user__last_name", "user__first_name", "organisation__name")
    )
    return list(rows[:NETWORK_CANDIDATES_SHOWN])


def care_network_colleagues(
    *, access: PatientAccess, organisation_id: int, exclude_user_id: int, limit: int
) -> list[Membership]:
    """The collaborating members of one organisation who are not in the patient's care network
    yet (``exclude_user_id``: the one asking) — whom a provider can bring in from their own
    organisation, by name."""
    rows = (
        _outside_the_network(access)
        .filter(organisation_id=organisation_id)
        .exclude(user_id=exclude_user_id)
        .select_related("user", "organisation")
        .prefetch_related(absences_today_prefetch(today=timezone.localdate()))
        .order_by("user__last_name", "user__first_name")
    )
    return list(rows[:limit])


def _outside_the_network(access: PatientAccess) -> QuerySet[Membership]:
    """Collaborating memberships that are not (for that organisation) in the patient's care
    network now: whom one could bring in."""
    current = CareNetworkMember.objects.current().filter(
        patient=access.patient,
        user_id=OuterRef("user_id"),
        organisation_id=OuterRef("organisation_id"),
    )
    return _collaborating_memberships().exclude(Exists(current))


def _collaborating_memberships() -> QuerySet[Membership]:
    """Active memberships whose level or role includes collaborating around patients."""
    levels = [lvl for lvl, caps in LEVEL_CAPABILITIES.items() if Capability.COLLABORATE in caps]
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.COLLABORATE in caps]
    gp = OrganisationKind.GP_PRACTICE
    return Membership.objects.active().filter(
        Q(organisation__kind=gp, level__in=levels)
        | (~Q(organisation__kind__in=[gp, OrganisationKind.CARE_GROUP]) & Q(role__in=roles))
    )


def patient_access_log_rows(
    *, access: PatientAccess, since: datetime.date | None, until: datetime.date | None
) -> QuerySet[AccessLogEntry]:
    """'Wie heeft dit dossier ingezien?': the patient's log entries, oldest first."""
    entries = AccessLogEntry.objects.filter(patient=access.patient)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries.select_related("responsible_user").order_by("at", "id")


def patient_access_log(
    *, access: PatientAccess, since: datetime.date | None, until: datetime.date | None, page=1
) -> Page:
    rows = patient_access_log_rows(access=access, since=since, until=until)
    return Paginator(rows, ACCESS_LOG_PER_PAGE).get_page(page)


def extractions_for(*, actor: Actor) -> QuerySet[Extraction]:
    if not can_upload_extraction(actor):
        return Extraction.objects.none()
    return (
        Extraction.objects.filter(practice_id=actor.membership.organisation_id)
        .defer("content")
        .select_related("uploaded_by")
    )


def extraction_get_for(*, actor: Actor, pk) -> Extraction:
    try:
        return extractions_for(actor=actor).get(pk=pk)
    except (Extraction.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def extraction_errors(*, extraction: Extraction) -> QuerySet[ExtractionError]:
    """The refused resources of an extraction (one from ``extraction_get_for``), in order."""
    return ExtractionError.objects.filter(extraction_id=extraction.pk).order_by("pk")
