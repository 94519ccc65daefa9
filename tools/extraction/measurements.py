"""Measurements as a practice takes them: the follow-up each condition asks for, on the
practice's control rhythm, with values scattered around the patient's own baseline."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tools.extraction.records import Obs, Person, clamp
from tools.extraction.terminology import MAX_OBSERVATIONS, MEASUREMENTS, REFERENCE_DATE

# Follow-up per condition: measurement group -> (interval in months, how many).
_FOLLOW_UP: dict[str, dict[str, tuple[int, int]]] = {
    "T90": {
        "hba1c": (3, 5), "bp": (6, 3), "weight": (12, 2), "glucose": (6, 2), "egfr": (12, 2),
        "ldl": (12, 1), "acr": (12, 1),
    },
    "K86": {"bp": (6, 3), "weight": (12, 1), "egfr": (12, 1)},
    "K87": {"bp": (4, 4), "weight": (12, 1), "egfr": (12, 2), "ldl": (12, 1), "acr": (12, 1)},
    "T93": {"ldl": (12, 2), "chol": (12, 1), "hdl": (12, 1)},
    "R95": {"spo2": (6, 3), "weight": (12, 2), "hr": (12, 1)},
    "R96": {"spo2": (12, 1)},
    "K77": {"weight": (3, 4), "bp": (6, 2), "hr": (6, 2), "egfr": (6, 2)},
    "K78": {"hr": (6, 3), "bp": (6, 2), "egfr": (12, 2)},
    "K74": {"bp": (6, 2), "ldl": (12, 2)},
    "K90": {"bp": (6, 2), "ldl": (12, 2)},
    "P70": {"weight": (6, 2), "bp": (12, 1)},
    "T82": {"weight": (6, 3)},
    "T86": {"tsh": (12, 2)},
}  # fmt: skip
_GROUP_ORDER = ("bp", "weight", "hr", "spo2", "hba1c", "glucose", "egfr", "ldl", "hdl",
                "chol", "acr", "tsh")  # fmt: skip
# The budget (MAX_OBSERVATIONS) counts measured values: a blood pressure, one Observation, holds
# two (systolic and diastolic).
_GROUP_SIZE = {"bp": 2}


@dataclass
class _Baseline:
    """Where a patient's values lie; each measurement scatters around it."""

    height: float
    bmi: float
    systolic: float
    diastolic: float
    pulse: float
    hba1c: float
    glucose: float
    egfr: float
    ldl: float
    hdl: float
    acr: float
    spo2: float
    tsh: float


def _baseline(rng: random.Random, person: Person) -> _Baseline:
    codes = person.active_codes()
    on = {m.key for m in person.meds if m.end is None}
    age = person.age
    gauss = rng.gauss
    mean_height = {"female": 1.66, "male": 1.79}.get(person.gender, 1.72)
    height = gauss(mean_height, 0.065) - max(0, age - 70) * 0.002
    bmi = gauss(26.5, 3.5) + (3.5 if "T90" in codes else 0) + (7 if "T82" in codes else 0)
    hypertensive = bool(codes & {"K86", "K87"})
    systolic = gauss(143, 11) if hypertensive else gauss(126 + 0.2 * max(0, age - 50), 10)
    diastolic = 0.5 * systolic + gauss(13, 6) - 0.15 * max(0, age - 60)
    pulse = gauss(80, 12) if "K78" in codes else gauss(72, 8)
    if on & {"metoprolol", "bisoprolol"}:
        pulse -= 8
    diabetic = "T90" in codes
    egfr = 105 - 0.75 * max(0, age - 35) + gauss(0, 11)
    egfr -= (8 if "K77" in codes else 0) + (5 if diabetic else 0)
    on_statin = bool(on & {"simvastatine", "atorvastatine"})
    if diabetic:
        hba1c, glucose = clamp(gauss(56, 7), 42, 85), clamp(gauss(8.2, 1.4), 5.5, 14)
    else:
        hba1c, glucose = clamp(gauss(38, 3), 30, 46), clamp(gauss(5.5, 0.45), 4.2, 6.9)
    if "R95" in codes:
        spo2 = gauss(93.5, 2)
    else:
        spo2 = gauss(95, 1.5) if "K77" in codes else gauss(97.5, 1)
    female = person.gender == "female"
    return _Baseline(
        height=clamp(height, 1.45, 2.05),
        bmi=clamp(bmi, 18.5, 45.0),
        systolic=clamp(systolic, 100, 185),
        diastolic=clamp(diastolic, 55, 105),
        pulse=clamp(pulse, 50, 120),
        hba1c=hba1c,
        glucose=glucose,
        egfr=clamp(egfr, 18, 115),
        ldl=clamp(gauss(2.3, 0.5) if on_statin else gauss(3.3, 0.7), 1.0, 6.5),
        hdl=clamp(gauss(1.5, 0.3) if female else gauss(1.2, 0.25), 0.6, 2.8),
        acr=clamp(math.exp(gauss(0.3 if diabetic else -0.3, 1.0)), 0.1, 150.0),
        spo2=spo2,
        tsh=clamp(gauss(2.5, 1.2), 0.2, 9.0),
    )


def _value(rng: random.Random, key: str, base: _Baseline, person: Person):
    gauss = rng.gauss
    if key == "sys":
        return round(clamp(base.systolic + gauss(0, 7), 95, 200))
    if key == "dia":
        return round(clamp(base.diastolic + gauss(0, 5), 50, 115))
    if key == "weight":
        spread = 2.0 if "K77" in person.active_codes() else 1.0
        return round(base.bmi * base.height**2 + gauss(0, spread), 1)
    if key == "hr":
        return round(clamp(base.pulse + gauss(0, 6), 45, 140))
    if key == "spo2":
        return round(clamp(base.spo2 + gauss(0, 1), 85, 100))
    if key == "hba1c":
        return round(clamp(base.hba1c + gauss(0, 3), 30, 110))
    if key == "glucose":
        return round(clamp(base.glucose + gauss(0, 0.6), 3.8, 20), 1)
    if key == "egfr":
        return round(clamp(base.egfr + gauss(0, 4), 10, 120))
    if key == "ldl":
        return round(clamp(base.ldl + gauss(0, 0.25), 0.8, 7), 1)
    if key == "hdl":
        return round(clamp(base.hdl + gauss(0, 0.08), 0.5, 3), 2)
    if key == "chol":
        return round(base.ldl + base.hdl + clamp(gauss(0.7, 0.2), 0.2, 1.5), 1)
    if key == "acr":
        return round(clamp(base.acr * math.exp(gauss(0, 0.25)), 0.1, 200), 1)
    if key == "tsh":
        return round(clamp(base.tsh + gauss(0, 0.5), 0.1, 12), 1)
    if key == "temp":
        return round(clamp(gauss(38.6, 0.4), 37.5, 40.5), 1)
    raise ValueError(key)


def random_observations(rng: random.Random, person: Person) -> list[Obs]:
    codes = person.active_codes()
    plan: dict[str, tuple[int, int, date]] = {}  # group -> (interval, count, earliest date)
    for code in sorted(codes):
        for group, (interval, count) in _FOLLOW_UP.get(code, {}).items():
            earliest = person.onset_of(code)
            if group in plan:
                old_interval, old_count, old_earliest = plan[group]
                plan[group] = (
                    min(interval, old_interval),
                    max(count, old_count),
                    min(earliest, old_earliest),
                )
            else:
                plan[group] = (interval, count, earliest)
    if not plan:  # no chronic condition: now and then a check
        if rng.random() < 0.3:
            plan["bp"] = (12, 1, person.birth)
        if rng.random() < 0.15:
            plan["glucose"] = (12, 1, person.birth)
        if rng.random() < 0.1:
            plan["weight"] = (12, 1, person.birth)

    # The practice's control rhythm: consultations every few months back from the last one,
    # labs drawn a week before. Groups with the same interval fall on the same days.
    last = REFERENCE_DATE - timedelta(days=rng.randint(12, 75))
    jitter: dict[int, int] = {}
    dates: dict[str, list[date]] = {}
    window_start = REFERENCE_DATE - timedelta(days=3 * 365)
    for group in _GROUP_ORDER:
        if group not in plan:
            continue
        interval, count, earliest = plan[group]
        chosen = []
        for k in range(count):
            months = k * interval
            if months not in jitter:
                jitter[months] = rng.randint(-10, 10)
            day = last - timedelta(days=round(months * 30.44) - jitter[months])
            if MEASUREMENTS[group].lab:
                day -= timedelta(days=7)
            if day < max(earliest, window_start):
                break
            chosen.append(day)
        if chosen:
            dates[group] = chosen

    def size(group: str) -> int:
        return _GROUP_SIZE.get(group, 1) * len(dates[group])

    bmi_wanted = bool(codes & {"T90", "T82", "K86", "K87", "T93", "R95"}) or rng.random() < 0.3
    budget = MAX_OBSERVATIONS - (1 if "weight" in dates and bmi_wanted else 0)
    while sum(size(g) for g in dates) > budget:
        largest = max(dates, key=lambda g: (size(g), -_GROUP_ORDER.index(g)))
        dates[largest].pop()  # the oldest
        if not dates[largest]:
            del dates[largest]

    consult_times: dict[date, tuple[int, int]] = {}
    lab_times: dict[date, tuple[int, int]] = {}

    def moment(day: date, lab: bool) -> datetime:
        times = lab_times if lab else consult_times
        if day not in times:  # labs draw blood in the morning; consultations all day
            hour = rng.randint(8, 10) if lab else rng.randint(8, 16)
            times[day] = (hour, rng.choice((0, 10, 20, 30, 40, 50)))
        hour, minute = times[day]
        return datetime(day.year, day.month, day.day, hour, minute)

    base = _baseline(rng, person)
    observations: list[Obs] = []
    for group in _GROUP_ORDER:
        for day in dates.get(group, ()):
            when = moment(day, MEASUREMENTS[group].lab)
            if group == "bp":
                value = (_value(rng, "sys", base, person), _value(rng, "dia", base, person))
            else:
                value = _value(rng, group, base, person)
            observations.append(Obs(group, when, value))
    if bmi_wanted and "weight" in dates:
        latest_weight = max((o for o in observations if o.key == "weight"), key=lambda o: o.when)
        bmi = round(latest_weight.value / base.height**2, 1)
        observations.append(Obs("bmi", latest_weight.when, bmi))

    # A pneumonia or bronchitis in the last three years: fever and saturation at the visit.
    for episode in person.episodes:
        if episode.code not in ("R81", "R78") or episode.onset < window_start:
            continue
        if sum(o.size for o in observations) + 2 > MAX_OBSERVATIONS:
            break
        when = moment(episode.onset, False)
        if episode.code == "R81" or rng.random() < 0.5:
            observations.append(Obs("temp", when, _value(rng, "temp", base, person)))
            saturation = round(clamp(base.spo2 - rng.uniform(1, 5), 85, 99))
            observations.append(Obs("spo2", when, saturation))
    return sorted(observations, key=lambda o: (o.when, list(MEASUREMENTS).index(o.key)))
