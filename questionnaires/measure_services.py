"""Writes for home measurements: record a reading, set a patient's limits, handle an alert.

Invariants:

- A reading outside its kind's plausible range (a weight of 900 kg, a saturation of 140 %) is
  refused with a Dutch message naming the range; nothing is stored.
- ``measurement_record`` is idempotent on ``client_key``: the same form sent twice stores one
  reading, and evaluates the rule once, so it raises one alert.
- Evaluating a rule for a reading again (:func:`alerts_evaluate`) never adds a second alert:
  an alert is unique per (threshold, reading that met it). A window rule ("4 high readings in
  48 hours") counts the readings outside the limits measured in ``(t − window, t]`` of the
  reading at ``t``, after the reading that raised the rule's previous alert — so four more are
  needed before the next alert. Evaluation runs under a row lock on the threshold.
- A new alert notifies the practice by e-mail after the commit (:func:`alert_notify`, once per
  alert): its collaborating staff with patient-data access who are not online and are working
  today (``accounts.presence.mail_worthy``; the *new message* preference decides, as a signal
  reaches them like a message). The e-mail names no patient and no value, only a link.
- A new alert, and an alert handled, also sends ``measurement_alerts_changed`` after the commit:
  the practice's open start pages fetch their list of open alerts again.
- Every write logs itself (NEN 7513) in the same transaction.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.email import email_send
from accounts.levels import LEVEL_CAPABILITIES, Capability
from accounts.models import Membership
from accounts.presence import mail_worthy
from core.site import site_url
from network.access import Actor, PatientAccess
from network.access_log import access_log_write
from network.models import AccessAction, DataCategory
from questionnaires.models import (
    KINDS,
    HomeMeasurement,
    MeasurementAlert,
    MeasurementKind,
    MeasurementThreshold,
)
from questionnaires.signals import measurement_alerts_changed

# A reading may be dated a few minutes ahead (a phone's clock); no more.
FUTURE_SLACK = datetime.timedelta(minutes=10)


def _plain(number: Decimal) -> str:
    return number_format(number.normalize(), use_l10n=True)


def _check_range(field: str, value: Decimal, low: Decimal, high: Decimal, unit: str, label):
    if not low <= value <= high:
        raise ValidationError(
            {
                field: _(
                    "%(label)s of %(value)s %(unit)s is not possible: enter a value between "
                    "%(low)s and %(high)s %(unit)s."
                )
                % {
                    "label": label,
                    "value": _plain(value),
                    "unit": unit,
                    "low": _plain(low),
                    "high": _plain(high),
                }
            }
        )


def measurement_validate(
    *, kind: str, value: Decimal, value2: Decimal | None, measured_at: datetime.datetime
) -> None:
    """Refuse what a human body cannot show, a blood pressure without both numbers or with a
    diastolic above its systolic, and a reading dated in the future."""
    if kind not in KINDS:
        raise ValidationError({"kind": _("Choose a kind of measurement.")})
    spec = KINDS[kind]
    label = MeasurementKind(kind).label
    if kind == MeasurementKind.BLOOD_PRESSURE:
        if value2 is None:
            raise ValidationError({"value2": _("Enter the lower pressure (diastolic) too.")})
        _check_range("value", value, spec.low, spec.high, spec.unit, _("An upper pressure"))
        _check_range("value2", value2, spec.low2, spec.high2, spec.unit, _("A lower pressure"))
        if value2 >= value:
            raise ValidationError(
                {"value2": _("The lower pressure must be lower than the upper pressure.")}
            )
    else:
        _check_range("value", value, spec.low, spec.high, spec.unit, label)
    if measured_at > timezone.now() + FUTURE_SLACK:
        raise ValidationError({"measured_at": _("A measurement cannot be in the future.")})


@transaction.atomic
def measurement_record(
    *,
    actor: Actor,
    access: PatientAccess,
    kind: str,
    value: Decimal,
    value2: Decimal | None = None,
    measured_at: datetime.datetime,
    client_key: uuid.UUID,
) -> HomeMeasurement:
    """Store one reading of ``access.patient`` and evaluate the patient's rule for its kind.
    Idempotent on ``client_key`` (the same key again returns the stored reading)."""
    patient = access.patient
    existing = HomeMeasurement.objects.filter(client_key=client_key).first()
    if existing is not None:
        if existing.patient_id != patient.pk:
            raise ValidationError(_("This form was already used for another patient."))
        return existing
    if kind != MeasurementKind.BLOOD_PRESSURE:
        value2 = None
    measurement_validate(kind=kind, value=value, value2=value2, measured_at=measured_at)
    try:
        with transaction.atomic():
            measurement = HomeMeasurement.objects.create(
                patient=patient,
                kind=kind,
                value=value,
                value2=value2,
                unit=KINDS[kind].unit,
                measured_at=measured_at,
                entered_by=actor.user,
                organisation=actor.membership.organisation,
                client_key=client_key,
            )
    except IntegrityError:  # the same form, sent at the same moment: the other one won
        return HomeMeasurement.objects.get(client_key=client_key, patient=patient)
    access_log_write(
        actor=actor,
        action=AccessAction.CREATE,
        relationship=access.relationship,
        patient=patient,
        data=[DataCategory.MEASUREMENTS],
        object_ref=f"measurement:{measurement.pk}",
    )
    alerts_evaluate(measurement=measurement)
    return measurement


def _outside(threshold: MeasurementThreshold) -> Q:
    rule = Q(pk__in=[])
    for field, low, high in (
        ("value", threshold.low, threshold.high),
        ("value2", threshold.low2, threshold.high2),
    ):
        if low is not None:
            rule |= Q(**{f"{field}__lt": low})
        if high is not None:
            rule |= Q(**{f"{field}__gt": high})
    return rule


def alerts_evaluate(*, measurement: HomeMeasurement) -> MeasurementAlert | None:
    """The alert ``measurement`` raises under its patient's rule for its kind (created once),
    or None."""
    with transaction.atomic():
        threshold = (
            MeasurementThreshold.objects.select_for_update()
            .filter(patient_id=measurement.patient_id, kind=measurement.kind)
            .first()
        )
        if threshold is None or not threshold.is_outside(measurement.value, measurement.value2):
            return None
        existing = MeasurementAlert.objects.filter(
            threshold=threshold, measurement=measurement
        ).first()
        if existing is not None:
            return existing
        readings = 1
        if threshold.count > 1 and threshold.window_hours:
            at = measurement.measured_at
            since = at - datetime.timedelta(hours=threshold.window_hours)
            previous = (
                MeasurementAlert.objects.filter(
                    threshold=threshold, measurement__measured_at__lte=at
                )
                .order_by("-measurement__measured_at")
                .values_list("measurement__measured_at", flat=True)
                .first()
            )
            if previous is not None and previous > since:
                since = previous
            readings = (
                HomeMeasurement.objects.filter(
                    patient_id=measurement.patient_id,
                    kind=measurement.kind,
                    measured_at__gt=since,
                    measured_at__lte=at,
                )
                .filter(_outside(threshold))
                .count()
            )
            if readings < threshold.count:
                return None
        elif threshold.count > 1:
            # A count without a window: that many readings outside the limits, ever, since the
            # previous alert. Rare; counted the same way, from the beginning.
            readings = (
                HomeMeasurement.objects.filter(
                    patient_id=measurement.patient_id,
                    kind=measurement.kind,
                    measured_at__lte=measurement.measured_at,
                )
                .filter(_outside(threshold))
                .count()
            )
            if readings < threshold.count:
                return None
        alert, created = MeasurementAlert.objects.get_or_create(
            threshold=threshold,
            measurement=measurement,
            defaults={"patient_id": measurement.patient_id, "readings": readings},
        )
        if created:
            transaction.on_commit(lambda: alert_notify(alert_id=alert.pk))
            _alerts_changed_on_commit(measurement.patient.practice_id)
        return alert


def _alerts_changed_on_commit(practice_id: int) -> None:
    # robust: a live push that fails must not undo or fail the write that was committed.
    transaction.on_commit(
        lambda: measurement_alerts_changed.send(sender=MeasurementAlert, practice_id=practice_id),
        robust=True,
    )


def _practice_staff(practice_id) -> set[int]:
    levels = [level for level, caps in LEVEL_CAPABILITIES.items() if Capability.COLLABORATE in caps]
    return set(
        Membership.objects.active()
        .filter(organisation_id=practice_id, has_patient_data_access=True, level__in=levels)
        .values_list("user_id", flat=True)
    )


def alert_notify(*, alert_id: int) -> list[int]:
    """E-mail the patient's practice about one alert; returns who got one. Claims the alert
    first, so a second run sends nothing."""
    claimed = MeasurementAlert.objects.filter(pk=alert_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return []
    alert = MeasurementAlert.objects.select_related("patient").get(pk=alert_id)
    url = site_url() + reverse("measurements:page", args=[alert.patient_id])
    notified = []
    for person in mail_worthy(
        _practice_staff(alert.patient.practice_id), preference="notify_messages"
    ):
        email_send(
            to=[person.email],
            template="questionnaires/measurements/email/alert",
            context={"user": person, "url": url},
            language=person.language,
        )
        notified.append(person.pk)
    return notified


@transaction.atomic
def threshold_set(
    *,
    actor: Actor,
    access: PatientAccess,
    kind: str,
    low: Decimal | None = None,
    high: Decimal | None = None,
    low2: Decimal | None = None,
    high2: Decimal | None = None,
    count: int = 1,
    window_hours: int | None = None,
) -> MeasurementThreshold:
    """Set (or change) the patient's limits and rule for one kind. At least one limit; a
    lower limit below the upper one; a count above one needs a window."""
    errors = {}
    if all(limit is None for limit in (low, high, low2, high2)):
        errors["high"] = _("Enter at least one limit.")
    if low is not None and high is not None and low >= high:
        errors["low"] = _("The lower limit must be lower than the upper limit.")
    if low2 is not None and high2 is not None and low2 >= high2:
        errors["low2"] = _("The lower limit must be lower than the upper limit.")
    if count < 1:
        errors["count"] = _("Enter a number of at least 1.")
    if count > 1 and not window_hours:
        errors["window_hours"] = _("Enter within how many hours the readings must fall.")
    if errors:
        raise ValidationError(errors)
    if kind != MeasurementKind.BLOOD_PRESSURE:
        low2 = high2 = None
    threshold, _created = MeasurementThreshold.objects.update_or_create(
        patient=access.patient,
        kind=kind,
        defaults={
            "low": low,
            "high": high,
            "low2": low2,
            "high2": high2,
            "count": count,
            "window_hours": window_hours if count > 1 else None,
            "set_by": actor.user,
            "organisation": actor.membership.organisation,
        },
    )
    access_log_write(
        actor=actor,
        action=AccessAction.UPDATE,
        relationship=access.relationship,
        patient=access.patient,
        data=[DataCategory.MEASUREMENTS],
        object_ref=f"threshold:{threshold.pk}",
    )
    return threshold


@transaction.atomic
def alert_handle(*, actor: Actor, access: PatientAccess, alert_pk) -> MeasurementAlert:
    """Mark one of the patient's alerts handled (once: handling it again changes nothing)."""
    alert = (
        MeasurementAlert.objects.select_for_update()
        .filter(pk=alert_pk, patient_id=access.patient.pk)
        .first()
    )
    if alert is None:
        raise MeasurementAlert.DoesNotExist
    if alert.handled_at is None:
        alert.handled_at = timezone.now()
        alert.handled_by = actor.user
        alert.save(update_fields=["handled_at", "handled_by"])
        access_log_write(
            actor=actor,
            action=AccessAction.UPDATE,
            relationship=access.relationship,
            patient=access.patient,
            data=[DataCategory.MEASUREMENTS],
            object_ref=f"measurement-alert:{alert.pk}",
        )
        _alerts_changed_on_commit(access.patient.practice_id)
    return alert
