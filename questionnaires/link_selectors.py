"""Reads for questionnaires sent to a patient."""

from __future__ import annotations

import hashlib

from django.shortcuts import get_object_or_404

from questionnaires.models import PatientLink, PatientLinkToken

# The patient's page lists this many sent questionnaires (the newest).
SENT_SHOWN = 10


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def patient_link_by_token(token: str) -> tuple[PatientLink, str] | None:
    """The link a token opens, with the token's hash; None for a token nobody sent."""
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    row = (
        PatientLinkToken.objects.select_related(
            "link__patient", "link__organisation", "link__questionnaire", "link__response"
        )
        .filter(token_hash=digest)
        .first()
    )
    return (row.link, digest) if row else None


def patient_links_for(*, patient) -> list[PatientLink]:
    """The patient's newest sent questionnaires, for the care network's results page."""
    return list(
        PatientLink.objects.filter(patient=patient)
        .select_related("questionnaire", "sent_by", "organisation", "response")
        .order_by("-created_at", "-pk")[:SENT_SHOWN]
    )


def patient_link_get_for(*, access, pk) -> PatientLink:
    return get_object_or_404(PatientLink, pk=pk, patient_id=access.patient.pk)
