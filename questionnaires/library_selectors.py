"""Reads of the questionnaire library and of responses.

Responses are read through :func:`network.access.patient_get_for` first (the view does it, with
the log entry); the functions here take the patient the access check returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from network.access import patient_access_for, patient_get_for
from network.models import DataCategory
from network.patient_sections import PatientHeaderItem
from questionnaires.library_fhir import Parsed
from questionnaires.models import (
    AnswerOption,
    Condition,
    Cutoff,
    Item,
    Questionnaire,
    Response,
    ScoringRule,
)
from questionnaires.scoring import Condition as ConditionDef
from questionnaires.scoring import Cutoff as CutoffDef
from questionnaires.scoring import Definition, ItemDef, Option, Rule


def questionnaire_list_active() -> QuerySet[Questionnaire]:
    return Questionnaire.objects.filter(status=Questionnaire.Status.ACTIVE).order_by("title")


def questionnaire_with_definition(queryset: QuerySet[Questionnaire]) -> QuerySet[Questionnaire]:
    """Everything :func:`definition_of` reads, in a fixed number of queries (five)."""
    return queryset.prefetch_related(
        Prefetch(
            "items",
            queryset=Item.objects.order_by("order", "pk").prefetch_related(
                Prefetch("options", queryset=AnswerOption.objects.order_by("order", "pk")),
                Prefetch("conditions", queryset=Condition.objects.order_by("pk")),
            ),
        ),
        "rules__cutoffs",
    )


def _number(value) -> Decimal | None:
    return None if value is None else Decimal(value).normalize()


def definition_of(questionnaire: Questionnaire) -> Definition:
    """The scoring definition of a questionnaire as
    fetched by :func:`questionnaire_with_definition`."""
    items = tuple(
        ItemDef(
            link_id=item.link_id,
            text=item.text,
            type=item.type,
            required=item.required,
            scored=item.scored,
            reverse=item.reverse,
            subscale=item.subscale,
            options=tuple(
                Option(o.code, o.display, _number(o.value), o.system) for o in item.options.all()
            ),
            conditions=tuple(
                ConditionDef(c.question, c.operator, c.answer) for c in item.conditions.all()
            ),
            enable_behavior=item.enable_behavior,
            min_value=_number(item.min_value),
            max_value=_number(item.max_value),
            code=item.code,
        )
        for item in questionnaire.items.all()
    )
    rules = tuple(
        Rule(
            code=rule.code,
            label=rule.label,
            method=rule.method,
            subscale=rule.subscale,
            min_answered=rule.min_answered,
            decimals=rule.decimals,
            cutoffs=tuple(
                CutoffDef(_number(c.minimum), c.interpretation, c.flagged)
                for c in sorted(rule.cutoffs.all(), key=lambda c: c.minimum)
            ),
            loinc_code=rule.loinc_code,
        )
        for rule in sorted(questionnaire.rules.all(), key=lambda r: (r.order, r.pk))
    )
    return Definition(items=items, rules=rules)


def question_rows(definition: Definition, values: dict, errors: dict) -> list[dict]:
    """The questions of a form as the template shows them: each with what was given (the
    draft, or the form sent back) and its error."""
    return [
        {
            "item": item,
            "value": "" if values.get(item.link_id) is None else str(values[item.link_id]),
            "error": errors.get(item.link_id, ""),
        }
        for item in definition.items
    ]


def questionnaire_parsed(questionnaire: Questionnaire) -> Parsed:
    """The questionnaire as :class:`Parsed`, ready for the FHIR export."""
    return Parsed(
        slug=questionnaire.slug,
        version=questionnaire.version,
        title=questionnaire.title,
        description=questionnaire.description,
        url=questionnaire.url,
        copyright=questionnaire.copyright,
        status=questionnaire.status,
        loinc_code=questionnaire.loinc_code,
        definition=definition_of(questionnaire),
    )


def questionnaire_get_active(pk) -> Questionnaire:
    """An active questionnaire with its definition, or 404."""
    return get_object_or_404(questionnaire_with_definition(questionnaire_list_active()), pk=pk)


@dataclass(frozen=True)
class Trend:
    """One questionnaire's responses for a patient, newest first, for the results page."""

    questionnaire: Questionnaire
    responses: list[Response]

    @property
    def latest(self) -> Response:
        return self.responses[0]

    @property
    def points(self) -> list[Response]:
        """Oldest first, with a score: what the trend line and its table show."""
        return [r for r in reversed(self.responses) if r.score is not None]

    @property
    def chart_id(self) -> str:
        return f"score-chart-{self.questionnaire.pk}"

    @property
    def chart(self) -> dict | None:
        """What ``static/js/score-chart.js`` draws (through ``json_script``), for two scores or
        more: the scores oldest first, which were flagged, and the cut-off line (the lowest
        flagged cut-off of the questionnaire's main score), if it has one. The same figures are
        in the trend table beside it."""
        points = self.points
        if len(points) < 2:
            return None
        cutoff = getattr(self.latest, "flag_from", None)
        return {
            "label": self.questionnaire.title,
            "dates": [timezone.localtime(r.submitted_at).date().isoformat() for r in points],
            "scores": [float(r.score) for r in points],
            "flagged": [r.flagged for r in points],
            "cutoff": None if cutoff is None else float(cutoff),
        }


RESULTS_PER_QUESTIONNAIRE = 12


def _flag_from() -> Subquery:
    """The lowest flagged cut-off of the response's questionnaire's first rule (the one whose
    result is ``Response.score``): where the chart draws its cut-off line. A subquery, so the
    rows carry it in the same query."""
    main_rule = (
        ScoringRule.objects.filter(questionnaire_id=OuterRef(OuterRef("questionnaire_id")))
        .order_by("order", "pk")
        .values("pk")[:1]
    )
    return Subquery(
        Cutoff.objects.filter(rule_id=Subquery(main_rule), flagged=True)
        .order_by("minimum")
        .values("minimum")[:1]
    )


def response_trends_for(*, patient) -> list[Trend]:
    """The patient's responses grouped by questionnaire, each with its latest twelve — one
    query whatever the number of responses (a window function keeps the latest per
    questionnaire in the database; the chart's cut-off line rides along as a subquery)."""
    ranked = (
        Response.objects.filter(patient=patient)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("questionnaire_id")],
                order_by=[F("submitted_at").desc(), F("pk").desc()],
            )
        )
        .select_related("author", "organisation")
    )
    rows = list(
        Response.objects.filter(
            pk__in=ranked.filter(rank__lte=RESULTS_PER_QUESTIONNAIRE).values("pk")
        )
        .annotate(flag_from=_flag_from())
        .select_related("questionnaire", "author", "organisation")
        .order_by("questionnaire__title", "questionnaire_id", "-submitted_at", "-pk")
    )
    trends: list[Trend] = []
    for response in rows:
        if not trends or trends[-1].questionnaire.pk != response.questionnaire_id:
            trends.append(Trend(response.questionnaire, []))
        trends[-1].responses.append(response)
    return trends


def response_count_for(*, patient) -> int:
    return Response.objects.filter(patient=patient).count()


# --- access: who sees and fills in questionnaires about a patient ----------------------------

RESULTS_DATA = "questionnaires"


def questionnaire_patient_get_for(*, actor, pk, object_ref: str = RESULTS_DATA):
    """The patient whose questionnaires the actor opens — everyone who may see the patient
    (own practice, care network, open referral), like the health plan; else the same 404.
    Logged (NEN 7513) with the relationship ``network.access`` names."""
    return patient_get_for(
        actor=actor, pk=pk, data=[DataCategory.IDENTITY, RESULTS_DATA], object_ref=object_ref
    )


def questionnaire_patient_access_for(*, actor, pk):
    """The same answer without logging: for the write, which logs itself."""
    return patient_access_for(actor=actor, pk=pk)


def response_get_for(*, access, pk) -> Response:
    """One response about the patient of ``access`` (else 404)."""
    return get_object_or_404(
        Response.objects.select_related("questionnaire", "author", "organisation"),
        pk=pk,
        patient=access.patient,
    )


def questionnaire_patient_header(*, actor, access):
    """The patient header's *Vragenlijsten* tab (registered in ``apps.py``): for everyone who
    sees the patient; no query."""
    return PatientHeaderItem(tab=(_("Questionnaires"), "questionnaires:results", "questionnaires"))


def questionnaire_get_any(pk) -> Questionnaire:
    """A questionnaire with its definition, retired or not (to show an old response)."""
    return questionnaire_with_definition(Questionnaire.objects.all()).get(pk=pk)
