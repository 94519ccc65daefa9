"""Reads of the HIS app: a practice's active connection and the exports of given sources."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from his.models import HisEndpoint, HisExport


def his_endpoint_for(*, practice_id: int) -> HisEndpoint | None:
    return HisEndpoint.objects.filter(practice_id=practice_id, is_active=True).first()


def his_exports_of(*, model: type[Model], ids) -> QuerySet[HisExport]:
    """The exports of the objects ``ids`` (a list or a subquery of pks) of ``model``, newest
    first.

    The content type is matched by its name in the same query (a join), not looked up first: a
    page's query count stays the same whether or not the content-type cache is warm.
    """
    return HisExport.objects.filter(
        source_type__app_label=model._meta.app_label,
        source_type__model=model._meta.model_name,
        source_id__in=ids,
    )


def icpc_title_for(*, patient, code: str) -> str:
    """The title the practice's own HIS gave this ICPC code for this patient (its episode
    list): the code itself, else its main code (T90 for T90.02); an active episode first."""
    if not code:
        return ""
    base = code.split(".", 1)[0]
    rows = list(
        patient.episodes.filter(icpc_code__in={code, base})
        .order_by("status", "-start_date", "pk")
        .values_list("icpc_code", "title")
    )
    for wanted in (code, base):
        for row_code, title in rows:
            if row_code == wanted:
                return title
    return ""
