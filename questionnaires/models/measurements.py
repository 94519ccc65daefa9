"""Home measurements (*thuismetingen*): readings a district nurse or the practice enters, the
practice's per-patient thresholds with their rules, and the alerts those rules raise.

A reading is never changed after it is saved: a wrong one is entered again (the HIS keeps what
was sent). ``client_key`` makes saving idempotent — the same form sent twice from a phone with a
flaky connection stores one reading and raises one alert.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MeasurementKind(models.TextChoices):
    BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
    HEART_RATE = "heart_rate", _("Heart rate")
    WEIGHT = "weight", _("Weight")
    GLUCOSE = "glucose", _("Blood glucose")
    SPO2 = "spo2", _("Oxygen saturation")
    TEMPERATURE = "temperature", _("Temperature")
    PAIN = "pain", _("Pain score")


@dataclass(frozen=True)
class KindSpec:
    """What a kind of measurement is: its unit, the plausible range (what a human body can
    show — anything outside is a typing error, refused), its decimals, and its codes (LOINC;
    NHG table 45 where it has one), as the HIS import reads them back."""

    unit: str
    ucum: str
    low: Decimal
    high: Decimal
    decimals: int
    loinc: str
    nhg: str = ""
    # Blood pressure only: the second number (diastolic), its own range and codes.
    low2: Decimal | None = None
    high2: Decimal | None = None
    loinc2: str = ""
    nhg2: str = ""
    loinc_panel: str = ""


D = Decimal
KINDS: dict[str, KindSpec] = {
    MeasurementKind.BLOOD_PRESSURE: KindSpec(
        unit="mmHg", ucum="mm[Hg]", low=D(50), high=D(300), decimals=0,
        loinc="8480-6", nhg="1744", nhg2="1740", low2=D(20), high2=D(200), loinc2="8462-4",
        loinc_panel="85354-9",
    ),
    MeasurementKind.HEART_RATE: KindSpec(
        unit="/min", ucum="/min", low=D(20), high=D(250), decimals=0, loinc="8867-4"
    ),
    MeasurementKind.WEIGHT: KindSpec(
        unit="kg", ucum="kg", low=D(2), high=D(350), decimals=1, loinc="29463-7", nhg="357"
    ),
    MeasurementKind.GLUCOSE: KindSpec(
        unit="mmol/l", ucum="mmol/L", low=D("0.5"), high=D(50), decimals=1, loinc="15074-8",
    ),
    MeasurementKind.SPO2: KindSpec(
        unit="%", ucum="%", low=D(50), high=D(100), decimals=0, loinc="59408-5",
    ),
    MeasurementKind.TEMPERATURE: KindSpec(
        unit="°C", ucum="Cel", low=D(30), high=D(44), decimals=1, loinc="8310-5",
    ),
    MeasurementKind.PAIN: KindSpec(
        unit="NRS 0-10", ucum="{score}", low=D(0), high=D(10), decimals=0, loinc="72514-3",
    ),
}  # fmt: skip


class HomeMeasurement(models.Model):
    patient = models.ForeignKey(
        "network.Patient", on_delete=models.PROTECT, related_name="home_measurements"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MeasurementKind.choices)
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=1)
    # The diastolic of a blood pressure; empty for every other kind.
    value2 = models.DecimalField(
        _("second value"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20)
    measured_at = models.DateTimeField(_("measured at"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    client_key = models.UUIDField(_("client key"), unique=True, default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("home measurement")
        verbose_name_plural = _("home measurements")
        ordering = ["-measured_at", "-pk"]
        indexes = [
            # The latest readings and the chart's period (patient, newest first); a kind's
            # readings in a rule's window.
            models.Index(fields=["patient", "-measured_at", "-id"], name="homemeasurement_recent"),
            models.Index(fields=["patient", "kind", "-measured_at"], name="homemeasurement_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_value}"

    @property
    def spec(self) -> KindSpec:
        return KINDS[self.kind]

    @property
    def display_value(self) -> str:
        def fmt(number):
            return f"{number:.{self.spec.decimals}f}".replace(".", ",")

        if self.value2 is not None:
            return f"{fmt(self.value)}/{fmt(self.value2)} {self.unit}"
        return f"{fmt(self.value)} {self.unit}"


class MeasurementThreshold(models.Model):
    """The practice's limits for one patient and kind, and its rule: an alert when
    ``count`` readings outside the limits fall within ``window_hours`` (no window: every
    reading outside them). Blood pressure has limits for both numbers; either one outside
    counts."""

    patient = models.ForeignKey(
        "network.Patient", on_delete=models.PROTECT, related_name="measurement_thresholds"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MeasurementKind.choices)
    low = models.DecimalField(
        _("lower limit"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    high = models.DecimalField(
        _("upper limit"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    low2 = models.DecimalField(
        _("lower limit (diastolic)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    high2 = models.DecimalField(
        _("upper limit (diastolic)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    count = models.PositiveSmallIntegerField(_("number of readings"), default=1)
    window_hours = models.PositiveSmallIntegerField(_("within hours"), null=True, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("measurement threshold")
        verbose_name_plural = _("measurement thresholds")
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind"], name="threshold_one_per_kind"),
            models.CheckConstraint(
                condition=models.Q(count__gte=1), name="threshold_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.patient_id})"

    def is_outside(self, value, value2=None) -> bool:
        def out(number, low, high):
            return number is not None and (
                (low is not None and number < low) or (high is not None and number > high)
            )

        return out(value, self.low, self.high) or out(value2, self.low2, self.high2)


class MeasurementAlert(models.Model):
    """A rule met: one per threshold and the reading that met it (a unique pair, so saving
    the reading again or evaluating the rule again raises no second alert)."""

    threshold = models.ForeignKey(
        MeasurementThreshold, on_delete=models.PROTECT, related_name="alerts"
    )
    patient = models.ForeignKey(
        "network.Patient", on_delete=models.PROTECT, related_name="measurement_alerts"
    )
    measurement = models.ForeignKey(HomeMeasurement, on_delete=models.PROTECT, related_name="+")
    readings = models.PositiveSmallIntegerField(_("readings outside the limits"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the practice's e-mail is claimed (once per alert, however often it is tried).
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("measurement alert")
        verbose_name_plural = _("measurement alerts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["threshold", "measurement"], name="alert_one_per_rule_reading"
            )
        ]

    def __str__(self) -> str:
        return f"{self.threshold} @ {self.measurement_id}"
