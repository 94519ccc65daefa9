"""The generator's own records of a patient (episodes, medication, intolerances, measurements)
before they become FHIR resources, and the small date and number helpers they use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tools.extraction.terminology import REFERENCE_DATE


@dataclass
class Episode:
    code: str
    onset: date
    abatement: date | None = None

    @property
    def active(self) -> bool:
        return self.abatement is None


@dataclass
class Med:
    key: str
    start: date
    end: date | None = None


@dataclass
class Allergy:
    key: str
    recorded: date


@dataclass
class Obs:
    key: str
    when: datetime
    value: float | int | tuple[int, int]  # a blood pressure: (systolic, diastolic)

    @property
    def size(self) -> int:
        """How many measured values: two for a blood pressure, else one."""
        return len(self.value) if isinstance(self.value, tuple) else 1


@dataclass
class Person:
    number: int
    bsn: str
    given: list[str]
    infix: str
    own_name: str
    gender: str
    birth: date
    street: str
    postal_code: str
    city: str
    phones: list[tuple[str, str]]  # (number, use)
    deceased_flag: bool = False
    episodes: list[Episode] = field(default_factory=list)
    meds: list[Med] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    observations: list[Obs] = field(default_factory=list)

    @property
    def age(self) -> int:
        return age_on(self.birth)

    def active_codes(self) -> set[str]:
        return {e.code for e in self.episodes if e.active}

    def onset_of(self, code: str) -> date:
        return min(e.onset for e in self.episodes if e.code == code and e.active)


def age_on(birth: date, on: date = REFERENCE_DATE) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def years(value: float) -> timedelta:
    return timedelta(days=round(value * 365.25))


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
