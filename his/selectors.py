"""Reads of the HIS app: a practice's active connection and the exports of given sources."""

from __future__ import annotations

from django.db.models import Exists, F, Model, OuterRef, QuerySet

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


def his_exports_failed_for(*, practice_id: int) -> QuerySet[HisExport]:
    """The practice's exports that failed and were not exported again since (a new export of
    the same source supersedes them), newest first, with ``source_app`` and ``source_model``
    (no content-type lookup). Who may see them is the caller's question: the practice's staff
    with patient-data access."""
    newer = HisExport.objects.filter(
        source_type_id=OuterRef("source_type_id"),
        source_id=OuterRef("source_id"),
        created_at__gt=OuterRef("created_at"),
    )
    return (
        HisExport.objects.filter(practice_id=practice_id, status=HisExport.Status.FAILED)
        .exclude(Exists(newer))
        .annotate(source_app=F("source_type__app_label"), source_model=F("source_type__model"))
        .order_by("-created_at", "-pk")
    )


def his_export_unchanged(*, model: type[Model], pk, resource_id: str) -> HisExport | None:
    """The newest export of one object when it is waiting or delivered and carries the same
    FHIR id (an unchanged object): a double click sends that export again, not a second one."""
    latest = his_exports_of(model=model, ids=[pk]).order_by("-created_at", "-pk").first()
    if (
        latest is not None
        and latest.status != HisExport.Status.FAILED
        and latest.fhir_json.get("id") == resource_id
    ):
        return latest
    return None
