"""A random medical history: chronic and resolved episodes by age and gender, intolerances,
and medication that fits the episodes and respects the intolerances."""

from __future__ import annotations

import random
from datetime import date, timedelta

from tools.extraction.records import Allergy, Episode, Med, Person, age_on, clamp, years
from tools.extraction.terminology import MAX_EPISODES, MAX_MEDICATIONS, REFERENCE_DATE

# Chronic conditions: probability at age 40 and at age 85 (linear in between, extrapolated a
# little beyond 85), youngest age at onset, and how long ago the onset may lie at most.
_CHRONIC: tuple[tuple[str, float, float, int, int], ...] = (
    ("T90", 0.03, 0.24, 30, 25),
    ("K86", 0.08, 0.45, 30, 30),
    ("K87", 0.00, 0.06, 45, 20),
    ("T93", 0.04, 0.18, 30, 25),
    ("R95", 0.01, 0.13, 40, 20),
    ("R96", 0.07, 0.05, 5, 40),
    ("K77", 0.00, 0.12, 50, 10),
    ("K78", 0.00, 0.13, 45, 15),
    ("K74", 0.00, 0.07, 45, 20),
    ("K90", 0.00, 0.07, 50, 15),
    ("P70", 0.00, 0.10, 65, 8),
    ("P76", 0.06, 0.05, 16, 20),
    ("L89", 0.00, 0.09, 50, 20),
    ("L90", 0.01, 0.14, 45, 20),
    ("T82", 0.07, 0.07, 18, 20),
    ("T86", 0.03, 0.06, 20, 30),
    ("L95", 0.00, 0.10, 55, 15),
)

# Short episodes: code, weight, shortest and longest duration in days.
_RESOLVED: tuple[tuple[str, int, int, int], ...] = (
    ("R74", 20, 7, 21),
    ("R78", 10, 10, 28),
    ("R81", 6, 14, 35),
    ("S18", 10, 7, 14),
    ("L03", 12, 14, 90),
    ("U71", 10, 3, 10),
    ("H81", 8, 1, 14),
    ("D73", 6, 3, 10),
    ("S74", 5, 14, 42),
)

_ALLERGY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("penicilline", 30),
    ("nsaid", 18),
    ("sulfonamiden", 8),
    ("ace", 12),
    ("statine", 10),
    ("codeine", 6),
    ("macroliden", 5),
    ("contrast", 5),
    ("metoclopramide", 3),
)
_CARDIOVASCULAR = frozenset({"K86", "K87", "K77", "T90", "T93", "K74", "K90"})


def _chronic_probability(age: int, gender: str, p40: float, p85: float, min_age: int, code: str):
    if age < min_age:
        return 0.0
    position = clamp((age - 40) / 45, 0.0, 1.3)
    probability = p40 + (p85 - p40) * position
    if code == "T86":
        probability *= {"female": 2.0, "male": 0.4}.get(gender, 1.0)
    elif code == "L95":
        probability *= {"female": 1.6, "male": 0.3}.get(gender, 1.0)
    return probability


def random_episodes(rng: random.Random, birth: date, gender: str) -> list[Episode]:
    age = age_on(birth)
    chronic: list[Episode] = []
    for code, p40, p85, min_age, max_years in _CHRONIC:
        if rng.random() >= _chronic_probability(age, gender, p40, p85, min_age, code):
            continue
        if code == "K87":  # hypertension with organ damage replaces the plain one
            chronic = [e for e in chronic if e.code != "K86"]
        elif code == "K86" and any(e.code == "K87" for e in chronic):
            continue
        earliest = max(float(min_age), age - float(max_years))
        latest = age - 0.2
        onset_age = rng.uniform(earliest, latest) if latest > earliest else latest
        onset = min(birth + years(onset_age), REFERENCE_DATE - timedelta(days=30))
        chronic.append(Episode(code, onset))
    chronic = chronic[:MAX_EPISODES]

    resolved: list[Episode] = []
    count = rng.choices((0, 1, 2, 3), weights=(35, 36, 20, 9))[0]
    codes = [code for code, *_ in _RESOLVED]
    weights = [
        weight * (3 if code == "U71" and gender == "female" else 1)
        for code, weight, *_ in _RESOLVED
    ]
    for _ in range(min(count, MAX_EPISODES - len(chronic))):
        code = rng.choices(codes, weights=weights)[0]
        _, _, shortest, longest = next(r for r in _RESOLVED if r[0] == code)
        onset = REFERENCE_DATE - timedelta(days=rng.randint(100, 5 * 365))
        resolved.append(Episode(code, onset, onset + timedelta(rng.randint(shortest, longest))))
    return sorted(chronic + resolved, key=lambda e: (e.onset, e.code))


def random_allergies(rng: random.Random, person: Person) -> list[Allergy]:
    if rng.random() >= 0.30:
        return []
    count = 1 if rng.random() < 0.67 else 2
    codes = person.active_codes()
    keys = [k for k, _ in _ALLERGY_WEIGHTS]
    weights = [
        0 if k in ("ace", "statine") and not codes & _CARDIOVASCULAR else w
        for k, w in _ALLERGY_WEIGHTS
    ]
    chosen: list[str] = []
    while len(chosen) < count:
        key = rng.choices(keys, weights=weights)[0]
        weights[keys.index(key)] = 0
        chosen.append(key)
    allergies = []
    adult = max(person.birth + years(18), REFERENCE_DATE - years(35))
    for key in chosen:
        if key in ("ace", "statine"):  # found out while treating the cardiovascular condition
            first = min(person.onset_of(c) for c in codes & _CARDIOVASCULAR)
            low = first + timedelta(days=180)
        else:
            low = adult
        high = REFERENCE_DATE - timedelta(days=60)
        low = min(low, high)
        allergies.append(Allergy(key, low + timedelta(days=rng.randint(0, (high - low).days))))
    return sorted(allergies, key=lambda a: (a.recorded, a.key))


def random_medications(rng: random.Random, person: Person) -> list[Med]:
    """Medication that fits the episodes and respects the allergies and contra-indications."""
    codes = person.active_codes()
    avoid = {a.key: a.recorded for a in person.allergies}
    age = person.age
    latest_start = REFERENCE_DATE - timedelta(days=14)
    active: dict[str, date] = {}
    stopped: list[Med] = []

    def start(key: str, code: str, low: int = 0, high: int = 365) -> None:
        begin = person.onset_of(code) + timedelta(days=rng.randint(low, high))
        if begin > latest_start:
            if low > 0:  # an add-on that the patient has not needed yet
                return
            begin = latest_start - timedelta(days=rng.randint(0, 30))
        if key not in active or begin < active[key]:
            active[key] = begin

    def maybe(probability: float) -> bool:
        return rng.random() < probability

    def beta_blocker(key: str, code: str, low: int, high: int) -> None:
        if "metoprolol" not in active and "bisoprolol" not in active:
            start(key, code, low, high)

    handled: set[str] = set()  # drug classes already settled

    def ras_inhibitor(code: str) -> None:
        if "ras" in handled:
            return
        handled.add("ras")
        if "ace" in avoid:  # enalapril caused a cough, switched to losartan that day
            switched = avoid["ace"]
            began = min(person.onset_of(code) + timedelta(days=rng.randint(0, 90)), switched)
            stopped.append(Med("enalapril", began, switched))
            active.setdefault("losartan", switched)
        else:
            start("enalapril" if maybe(0.6) else "losartan", code)

    def statin(code: str) -> None:
        if "statin" in handled:
            return
        handled.add("statin")
        if "statine" in avoid:  # muscle pain: stopped, and no statin since
            stopped_on = avoid["statine"]
            began = stopped_on - timedelta(days=rng.randint(40, 200))
            stopped.append(Med("simvastatine", began, stopped_on))
        elif maybe(0.15):  # simvastatine was not enough: switched to atorvastatine
            began = person.onset_of(code) + timedelta(days=rng.randint(0, 200))
            switched = began + timedelta(days=rng.randint(120, 1500))
            if switched <= latest_start:
                stopped.append(Med("simvastatine", began, switched))
                active.setdefault("atorvastatine", switched)
            else:
                active.setdefault("simvastatine", min(began, latest_start))
        else:
            start("simvastatine" if maybe(0.6) else "atorvastatine", code)

    if "T90" in codes:
        if maybe(0.92):
            start("metformine", "T90", 0, 120)
        if maybe(0.4):
            start("gliclazide", "T90", 365, 3000)
        if maybe(0.12):
            start("insuline_glargine", "T90", 1000, 5000)
        if maybe(0.75):
            statin("T90")
        if maybe(0.35):
            ras_inhibitor("T90")
    for code in ("K86", "K87"):
        if code in codes:
            for key, probability in (("hydrochloorthiazide", 0.5), ("amlodipine", 0.4)):
                if maybe(probability):
                    start(key, code)
            if maybe(0.55):
                ras_inhibitor(code)
            if maybe(0.15):
                beta_blocker("metoprolol", code, 200, 2000)
            if maybe(0.3):
                statin(code)
    if "T93" in codes:
        statin("T93")
    if "R95" in codes:
        for key, probability in (
            ("salbutamol", 0.8), ("tiotropium", 0.7), ("fluticason_salmeterol", 0.35),
        ):  # fmt: skip
            if maybe(probability):
                start(key, "R95")
    if "R96" in codes:
        if maybe(0.9):
            start("salbutamol", "R96")
        if maybe(0.5):
            start("fluticason_salmeterol", "R96")
    if "K77" in codes:
        if maybe(0.85):
            start("furosemide", "K77", 0, 30)
        if maybe(0.7):
            ras_inhibitor("K77")
        if maybe(0.65):
            beta_blocker("bisoprolol" if maybe(0.5) else "metoprolol", "K77", 0, 120)
        if maybe(0.3):
            start("spironolacton", "K77", 60, 900)
    anticoagulated = False
    if "K78" in codes:
        if maybe(0.85):
            start("apixaban", "K78", 0, 30)
            anticoagulated = True
        if maybe(0.7):
            beta_blocker("metoprolol", "K78", 0, 60)
    for code in ("K74", "K90"):
        if code in codes:
            if not anticoagulated:
                if code == "K90" and maybe(0.6):
                    start("clopidogrel", code, 0, 14)
                elif "clopidogrel" not in active:
                    start("acetylsalicylzuur", code, 0, 30)
            if code == "K74" and maybe(0.7):
                start("nitroglycerine", code, 0, 30)
            if maybe(0.85):
                statin(code)
    if "P70" in codes and maybe(0.2):
        start("rivastigmine", "P70", 30, 365)
    if "P76" in codes:
        if maybe(0.7):
            start("citalopram", "P76", 0, 60)
        if maybe(0.15):
            start("oxazepam", "P76", 0, 60)
    for code in ("L89", "L90"):
        if code in codes and maybe(0.75):
            start("paracetamol", code, 0, 365)
    if "T86" in codes and maybe(0.95):
        start("levothyroxine", "T86", 0, 30)
    if "L95" in codes:
        if maybe(0.75):
            start("alendroninezuur", "L95", 0, 60)
        if maybe(0.7):
            start("calcium_colecalciferol", "L95", 0, 60)

    def late_start() -> date:
        began = REFERENCE_DATE - timedelta(days=rng.randint(30, 3000))
        return max(began, person.birth + years(18))

    protective = {"apixaban", "acetylsalicylzuur", "clopidogrel"} & active.keys()
    if age >= 50 and maybe(0.5 if protective else 0.14):
        active.setdefault("omeprazol", late_start())
    if age >= 70 and "calcium_colecalciferol" not in active and maybe(0.25):
        active.setdefault("colecalciferol", late_start())
    if (age >= 75 or "P70" in codes) and maybe(0.1):
        active.setdefault("macrogol", late_start())
    if maybe(0.03):
        active.setdefault("oxazepam", late_start())

    # The short courses that belong to resolved episodes.
    for episode in person.episodes:
        if episode.active:
            continue
        key = None
        if episode.code == "R81":
            key = "doxycycline" if "penicilline" in avoid else "amoxicilline"
        elif episode.code == "R78" and maybe(0.25):
            key = "doxycycline"
        elif episode.code == "U71" and maybe(0.85) and "sulfonamiden" not in avoid:
            key = "nitrofurantoine"
        elif episode.code == "L03" and maybe(0.6):
            key = "paracetamol" if "nsaid" in avoid else "naproxen"
        elif episode.code == "S74" and maybe(0.6):
            key = "miconazol"
        if key:
            days = 14 if key in ("naproxen", "paracetamol", "miconazol") else 7
            stopped.append(Med(key, episode.onset, episode.onset + timedelta(days=days)))
    if "R95" in codes and maybe(0.25):  # a lung attack in the last years
        began = REFERENCE_DATE - timedelta(days=rng.randint(60, 1000))
        stopped.append(Med("prednisolon", began, began + timedelta(days=5)))

    meds = [Med(key, began) for key, began in list(active.items())[:MAX_MEDICATIONS]]
    active_keys = {m.key for m in meds}
    for med in stopped:
        if len(meds) >= MAX_MEDICATIONS:
            break
        if med.key not in active_keys:
            meds.append(med)
    return sorted(meds, key=lambda m: (m.start, m.key))
