"""Access grants: written by the feature app that gives access for a while (an open referral),
in the same transaction as the step that opens or ends it; read by ``network.access``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from network.models import AccessGrant
from network.signals import patient_access_changed_send


@transaction.atomic
def access_grant_open(
    *, patient_id: int, organisation_id: int, team_id: int | None, reason: str, source: str
) -> AccessGrant:
    """The active grant for ``source``, opened now unless one is open already (idempotent: at
    most one active grant per source, a database constraint)."""
    grant = AccessGrant.objects.active().filter(source=source).first()
    if grant is not None:
        return grant
    return AccessGrant.objects.create(
        patient_id=patient_id,
        organisation_id=organisation_id,
        team_id=team_id,
        reason=reason,
        source=source,
    )


def access_grant_end(*, source: str) -> int:
    """End the active grant for ``source`` now; how many ended (0 when none was open). The
    people it let in are told after commit, so their open pages lose the patient at once."""
    ended = list(
        AccessGrant.objects.active()
        .filter(source=source)
        .values("pk", "organisation_id", "team_id")
    )
    if not ended:
        return 0
    AccessGrant.objects.filter(pk__in=[g["pk"] for g in ended]).update(ended_at=timezone.now())
    for grant in ended:
        members = Membership.objects.active().filter(organisation_id=grant["organisation_id"])
        if grant["team_id"]:
            members = members.filter(teams=grant["team_id"])
        patient_access_changed_send(user_ids=members.values_list("user_id", flat=True))
    return len(ended)
