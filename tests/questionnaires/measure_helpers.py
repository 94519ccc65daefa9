"""Readings in bulk for the measurement tests and the benchmark."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.utils import timezone

from questionnaires.models import HomeMeasurement


def readings_bulk(patient, user, organisation, *, n: int, days: int = 28) -> None:
    """``n`` blood pressures, spread evenly over the last ``days`` days."""
    now = timezone.now()
    step = datetime.timedelta(days=days) / max(n, 1)
    HomeMeasurement.objects.bulk_create(
        HomeMeasurement(
            patient=patient,
            kind="blood_pressure",
            value=Decimal(120 + i % 40),
            value2=Decimal(70 + i % 20),
            unit="mmHg",
            measured_at=now - step * i,
            entered_by=user,
            organisation=organisation,
            client_key=uuid.uuid4(),
        )
        for i in range(n)
    )
