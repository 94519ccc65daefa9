"""Reads of the referrals app. Patient data comes through ``network.access`` only."""

from __future__ import annotations

from django.utils.translation import gettext as _

from network.access import PatientAccess
from network.models import Episode
from referrals.models import CarePathway


def pathway_warnings(*, access: PatientAccess, pathway: CarePathway | None) -> list[str]:
    """What the care pathway asks for and the patient's record lacks: a warning, not a block.

    Every required code must be there. A code matches an active episode whose ICPC code starts
    with it (``T90`` matches ``T90`` and ``T90.02``; a chapter letter, the whole chapter).
    """
    if pathway is None or not pathway.required_icpc:
        return []
    codes = [
        code.upper()
        for code in Episode.objects.filter(
            patient=access.patient, status=Episode.Status.ACTIVE
        ).values_list("icpc_code", flat=True)
    ]
    missing = [
        wanted
        for wanted in pathway.required_icpc
        if not any(code.startswith(wanted) for code in codes)
    ]
    if not missing:
        return []
    return [
        pathway.requirement_text
        or _("The care pathway %(pathway)s asks for an episode with ICPC code %(codes)s.")
        % {"pathway": pathway.name, "codes": ", ".join(missing)}
    ]
