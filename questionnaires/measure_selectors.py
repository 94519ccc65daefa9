"""Reads for home measurements: the chart series (aggregated in SQL), the latest readings,
the patient's limits and open alerts, and the practice's open alerts over all its patients
(the start page and the list behind it). Every function runs a fixed number of queries,
however many readings or alerts there are: the chart reads at most one point per kind and
day."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, Max, Min, QuerySet, Window
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from network.access import Actor, PatientAccess, patients_visible_to, relationship_of
from network.access_log import LogLine, access_log_write_many
from network.models import AccessAction, DataCategory
from network.patient_sections import PatientHeaderItem
from questionnaires.measure_access import can_read, can_see_practice_alerts
from questionnaires.models import (
    KINDS,
    HomeMeasurement,
    MeasurementAlert,
    MeasurementKind,
    MeasurementThreshold,
)

PERIODS = (14, 30, 90, 365)  # days a chart may show
DEFAULT_PERIOD = 30
WEEKLY_FROM = 91  # longer periods are shown per week: a chart has at most 92 points per kind
LATEST = 20  # readings in the list below the charts


@dataclass
class KindSeries:
    """One chart: a kind's daily points (mean, lowest, highest, number of readings)."""

    kind: str
    label: str
    unit: str
    decimals: int
    points: list[dict] = field(default_factory=list)
    threshold: MeasurementThreshold | None = None

    def text(self, number) -> str:
        if number is None:
            return ""
        return f"{number:.{self.decimals}f}".replace(".", ",")

    @property
    def rows(self) -> list[tuple]:
        """The table view: (first day, mean, lowest – highest, readings), formatted once."""
        rows = []
        for p in self.points:
            mean = self.text(p["mean"])
            if p["mean2"] is not None:
                mean = f"{mean}/{self.text(p['mean2'])}"
            rows.append((p["day"], mean, f"{self.text(p['low'])} – {self.text(p['high'])}", p["n"]))
        return rows

    @property
    def chart(self) -> dict:
        """What ``static/js/measurements-chart.js`` draws (through ``json_script``)."""

        def num(value):
            return None if value is None else round(float(value), self.decimals or 1)

        data = {
            "label": self.label,
            "unit": self.unit,
            "days": [p["day"].isoformat() for p in self.points],
            "mean": [num(p["mean"]) for p in self.points],
            "mean2": [num(p["mean2"]) for p in self.points],
            "high": num(self.threshold.high) if self.threshold else None,
            "low": num(self.threshold.low) if self.threshold else None,
            "high2": num(self.threshold.high2) if self.threshold else None,
        }
        if self.kind != MeasurementKind.BLOOD_PRESSURE:
            data["mean2"] = []
        return data


@dataclass
class MeasurementsView:
    series: list[KindSeries]
    latest: list[HomeMeasurement]
    alerts: list[MeasurementAlert]
    thresholds: dict[str, MeasurementThreshold]
    period: int

    @property
    def weekly(self) -> bool:
        return self.period >= WEEKLY_FROM


def series_for(*, patient, days: int, thresholds=None) -> list[KindSeries]:
    """The series of every kind the patient has readings of in the last ``days`` days, one
    query: grouped per kind and (Dutch) calendar day — per week from ``WEEKLY_FROM`` days —
    in the database."""
    since = timezone.now() - datetime.timedelta(days=days)
    bucket = TruncWeek if days >= WEEKLY_FROM else TruncDate
    rows = (
        HomeMeasurement.objects.filter(patient_id=patient.pk, measured_at__gte=since)
        .annotate(day=bucket("measured_at", tzinfo=timezone.get_current_timezone()))
        .values("kind", "day")
        .annotate(
            mean=Avg("value"),
            mean2=Avg("value2"),
            low=Min("value"),
            high=Max("value"),
            n=Count("pk"),
        )
        .order_by("kind", "day")
    )
    thresholds = thresholds or {}
    by_kind: dict[str, KindSeries] = {}
    for row in rows:
        kind = row["kind"]
        if kind not in by_kind:
            spec = KINDS[kind]
            by_kind[kind] = KindSeries(
                kind=kind,
                label=str(MeasurementKind(kind).label),
                unit=spec.unit,
                decimals=spec.decimals,
                threshold=thresholds.get(kind),
            )
        by_kind[kind].points.append(row)
    order = list(MeasurementKind.values)
    return sorted(by_kind.values(), key=lambda s: order.index(s.kind))


def thresholds_for(*, patient) -> dict[str, MeasurementThreshold]:
    return {t.kind: t for t in MeasurementThreshold.objects.filter(patient_id=patient.pk)}


def open_alerts_for(*, patient) -> list[MeasurementAlert]:
    return list(
        MeasurementAlert.objects.filter(patient_id=patient.pk, handled_at__isnull=True)
        .select_related("measurement", "threshold")
        .order_by("-measurement__measured_at")[:20]
    )


def measurements_view_for(*, access: PatientAccess, days: int = DEFAULT_PERIOD) -> MeasurementsView:
    """Everything the measurements page shows: four queries."""
    patient = access.patient
    days = days if days in PERIODS else DEFAULT_PERIOD
    thresholds = thresholds_for(patient=patient)
    latest = list(
        HomeMeasurement.objects.filter(patient_id=patient.pk)
        .select_related("entered_by", "organisation")
        .order_by("-measured_at", "-pk")[:LATEST]
    )
    return MeasurementsView(
        series=series_for(patient=patient, days=days, thresholds=thresholds),
        latest=latest,
        alerts=open_alerts_for(patient=patient),
        thresholds=thresholds,
        period=days,
    )


def measurements_patient_header(*, actor: Actor, access: PatientAccess) -> PatientHeaderItem | None:
    """The patient header (registered in ``apps.py``): the *Metingen* tab for whoever may read
    measurements. No query: every patient page shows the header, and its query budgets are
    fixed (an alert badge here would cost one more on each; the alerts are on the tab)."""
    if not can_read(access):
        return None
    return PatientHeaderItem(tab=(_("Measurements"), "measurements:page", "measurements"))


# --- the practice's open alerts, over all its patients ---------------------------------------

ALERTS_PER_PAGE = 25


def practice_open_alerts(actor: Actor) -> QuerySet[MeasurementAlert]:
    """The open (unhandled) alerts of the patients of the practice the actor acts for, newest
    first, with their patient and reading — none for anyone who does not keep watch over them
    (``measure_access.can_see_practice_alerts``)."""
    if not can_see_practice_alerts(actor):
        return MeasurementAlert.objects.none()
    return (
        MeasurementAlert.objects.filter(
            handled_at__isnull=True,
            patient__practice_id=actor.membership.organisation_id,
            patient__in=patients_visible_to(actor).values("pk"),
        )
        .select_related("patient", "measurement")
        .order_by("-created_at", "-pk")
    )


def practice_open_alerts_first(*, actor: Actor, limit: int) -> tuple[int, list[MeasurementAlert]]:
    """(how many, the newest ``limit``) of the practice's open alerts — one query (the count
    rides along as a window over the same rows)."""
    rows = list(practice_open_alerts(actor).annotate(total=Window(Count("pk")))[:limit])
    return (rows[0].total if rows else 0), rows


def alerts_names_shown(*, actor: Actor, alerts) -> list[tuple[int, str]]:
    """(patient id, relationship) for each alert row: what the access log records for a list
    that names the patients, once per patient. Every one is the practice's own patient: no
    query."""
    patients = {}
    for alert in alerts:
        patients.setdefault(alert.patient_id, alert.patient)
    return [(pk, relationship_of(actor, patient)) for pk, patient in patients.items()]


def practice_alerts_page(*, actor: Actor, page) -> Page:
    """One page of the practice's open alerts (two queries: the count and the rows); every
    patient the page names is logged as read, in one write."""
    shown = Paginator(practice_open_alerts(actor), ALERTS_PER_PAGE).get_page(page)
    lines = [
        LogLine(
            action=AccessAction.READ,
            relationship=relationship,
            patient_id=patient_id,
            data=(DataCategory.IDENTITY, DataCategory.MEASUREMENTS),
            object_ref=f"measurement_alerts:page={shown.number}",
        )
        for patient_id, relationship in alerts_names_shown(actor=actor, alerts=shown)
    ]
    if lines:
        access_log_write_many(actor=actor, lines=lines)
    return shown
