"""Fictional people and places: Dutch and Frisian names, towns in Friesland and the north of
Groningen, BSNs from the test range, phone numbers; the fixed demo patients; and one random
person with a medical history that fits their age."""

from __future__ import annotations

import functools
import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from accounts.validators import bsn_is_valid
from tools.extraction.history import random_allergies, random_episodes, random_medications
from tools.extraction.records import Allergy, Episode, Med, Person
from tools.extraction.terminology import REFERENCE_DATE

_FEMALE_OLD = (
    "Geertje", "Tjitske", "Grietje", "Sjoukje", "Hiltje", "Aaltje", "Trijntje", "Froukje",
    "Wietske", "Janke", "Baukje", "Antje", "Jantje", "Maria", "Johanna", "Hendrika",
    "Elisabeth", "Cornelia", "Wilhelmina", "Margaretha", "Aukje", "Riemke", "Sietske", "Ytje",
    "Jeltje", "Fokje", "Tetje", "Anna", "Gerda", "Annie", "Klaasje", "Martha", "Dieuwke",
    "Atje", "Pietje",
)  # fmt: skip
_FEMALE_YOUNG = (
    "Marijke", "Ineke", "Joke", "Anneke", "Tineke", "Renske", "Ingrid", "Petra", "Monique",
    "Sandra", "Linda", "Marieke", "Femke", "Lieke", "Anouk", "Sanne", "Esther", "Nynke",
    "Hinke", "Jolanda", "Karin", "Wendy", "Mirjam", "Ilse", "Lotte", "Iris", "Fenna", "Jildou",
    "Anke", "Baukje",
)  # fmt: skip
_MALE_OLD = (
    "Sjoerd", "Hendrik", "Jan", "Pieter", "Klaas", "Jelle", "Sybren", "Douwe", "Wiebe", "Auke",
    "Tjeerd", "Hessel", "Gerrit", "Johannes", "Cornelis", "Willem", "Jacob", "Dirk", "Harm",
    "Folkert", "Jouke", "Rinze", "Eelke", "Bauke", "Freerk", "Lammert", "Marten", "Oene",
    "Popke", "Siebe", "Ype", "Wopke", "Teake", "Gosse", "Hidde", "Albert", "Evert",
)  # fmt: skip
_MALE_YOUNG = (
    "Johan", "Henk", "Kees", "Bert", "Gerard", "Theo", "Roel", "Erik", "Mark", "Jeroen",
    "Martijn", "Bas", "Jelmer", "Sjoerd", "Tjalling", "Wietse", "Hylke", "Sander", "Arjen",
    "Rutger", "Jurjen", "Durk", "Bouke", "Marco", "Peter", "Rick", "Thijs", "Sven", "Jesse",
)  # fmt: skip

# (infix, own name, weight)
_SURNAMES: tuple[tuple[str, str, int], ...] = (
    ("de", "Vries", 6), ("de", "Jong", 6), ("", "Dijkstra", 5), ("", "Bakker", 4),
    ("", "Visser", 4), ("de", "Boer", 4), ("van der", "Meer", 4), ("", "Hoekstra", 4),
    ("", "Jansma", 2), ("", "Postma", 3), ("", "Bosma", 3), ("", "Veenstra", 3),
    ("", "Zijlstra", 3), ("", "Kuipers", 2), ("", "Wijnia", 1), ("", "Hiemstra", 2),
    ("", "Terpstra", 3), ("", "Sikkema", 2), ("", "Kingma", 2), ("", "Tuinstra", 1),
    ("", "Miedema", 2), ("", "Haagsma", 1), ("", "Wiersma", 3), ("", "Hofstra", 2),
    ("", "Boersma", 3), ("", "Brouwer", 2), ("", "Mulder", 3), ("", "Smit", 2),
    ("de", "Groot", 2), ("van der", "Veen", 2), ("van den", "Berg", 2), ("van der", "Wal", 2),
    ("de", "Haan", 2), ("van der", "Zee", 1), ("de", "Wit", 1), ("", "Meijer", 2),
    ("", "Rienstra", 1), ("", "Kooistra", 2), ("", "Feenstra", 2), ("", "Nauta", 1),
    ("", "Rijpstra", 1), ("", "Schaap", 1), ("van", "Dijk", 2), ("van der", "Ploeg", 1),
    ("van den", "Bosch", 1), ("", "Yntema", 1), ("", "Algra", 1), ("de", "Graaf", 1),
    ("", "Westra", 2), ("", "Bouma", 2), ("", "Faber", 1), ("", "Holwerda", 1),
    ("", "Stienstra", 1), ("", "Jongsma", 1), ("", "Osinga", 1), ("van der", "Heide", 2),
    ("van der", "Bij", 1), ("", "Tolsma", 1), ("", "Sybesma", 1), ("", "Atsma", 1),
    ("", "Kramer", 1), ("", "Hoogland", 1), ("", "Poortinga", 1), ("", "Wielinga", 1),
    ("", "Reitsma", 2), ("", "Ykema", 1), ("ter", "Horst", 1), ("de", "Roos", 1),
    ("van", "Wieren", 1), ("van der", "Laan", 1),
)  # fmt: skip

_SURNAME_CUM_WEIGHTS = tuple(itertools.accumulate(weight for *_, weight in _SURNAMES))

_STREETS = (
    "Tuinstraat", "Kerkstraat", "Dorpsstraat", "Schoolstraat", "Molenweg", "Stationsweg",
    "Hoofdstraat", "Julianastraat", "Beatrixlaan", "Wilhelminastraat", "Prinses Margrietstraat",
    "Oranjestraat", "Lindelaan", "Berkenlaan", "Eikenlaan", "Bernhardlaan", "Kanaalweg",
    "Trekweg", "Noorderdijk", "Zeedijk", "Singel", "Buorren", "Haadwei", "Tsjerkestrjitte",
    "Skoalstrjitte", "Mounewei", "De Warren", "Feart", "Terpweg", "Wierde", "Slachtedyk",
    "It Hof", "Parklaan", "Sportlaan", "Meidoornstraat", "Vlasakker", "Greidhoeke",
    "Koningin Julianaweg", "Van Harinxmastraat", "Nieuwe Weg",
)  # fmt: skip


@dataclass(frozen=True)
class Town:
    name: str
    postal_low: int
    postal_high: int
    area_code: str  # "058" (7-digit subscriber number) or "0519" (6-digit)
    weight: int  # roughly the size of the town
    lat: float
    lon: float


TOWNS: tuple[Town, ...] = (
    Town("Leeuwarden", 8911, 8939, "058", 40, 53.20, 5.80),
    Town("Stiens", 9051, 9051, "058", 4, 53.26, 5.76),
    Town("Dokkum", 9101, 9104, "0519", 6, 53.33, 6.00),
    Town("Franeker", 8801, 8802, "0517", 5, 53.19, 5.54),
    Town("Harlingen", 8861, 8862, "0517", 6, 53.17, 5.42),
    Town("Sneek", 8601, 8606, "0515", 12, 53.03, 5.66),
    Town("Heerenveen", 8441, 8448, "0513", 12, 52.96, 5.92),
    Town("Drachten", 9200, 9206, "0512", 14, 53.11, 6.10),
    Town("Burgum", 9251, 9251, "0511", 4, 53.19, 5.99),
    Town("Grou", 9001, 9001, "0566", 2, 53.09, 5.84),
    Town("Bolsward", 8701, 8702, "0515", 3, 53.06, 5.53),
    Town("Joure", 8501, 8502, "0513", 5, 52.97, 5.79),
    Town("Wolvega", 8471, 8472, "0561", 4, 52.88, 6.00),
    Town("Lemmer", 8531, 8532, "0514", 3, 52.84, 5.71),
    Town("Buitenpost", 9285, 9285, "0511", 2, 53.25, 6.15),
    Town("Kollum", 9291, 9291, "0511", 2, 53.28, 6.15),
    Town("Holwerd", 9151, 9151, "0519", 1, 53.37, 5.90),
    Town("Ferwert", 9172, 9172, "0518", 1, 53.34, 5.82),
    Town("Berltsum", 9041, 9041, "0518", 1, 53.24, 5.65),
    Town("Menaam", 9036, 9036, "0518", 1, 53.22, 5.66),
    Town("Hallum", 9074, 9074, "0518", 1, 53.30, 5.79),
    Town("Surhuisterveen", 9231, 9231, "0512", 2, 53.18, 6.17),
    Town("Gorredijk", 8401, 8401, "0513", 2, 53.01, 6.07),
    Town("Winsum", 9951, 9951, "0595", 2, 53.33, 6.52),
    Town("Zuidhorn", 9801, 9801, "0594", 2, 53.25, 6.40),
    Town("Uithuizen", 9981, 9981, "0595", 2, 53.41, 6.67),
    Town("Appingedam", 9901, 9903, "0596", 3, 53.32, 6.86),
)
_TOWN_BY_NAME = {town.name: town for town in TOWNS}

# The town of a demo practice; other practices get one drawn from their AGB code.
PRACTICE_TOWNS: dict[str, str] = {"01001234": "Stiens", "01005678": "Dokkum"}

# Dutch postal codes do not use F, I, O, Q, U and Y, nor the pairs SA, SD and SS.
_POSTAL_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
_POSTAL_PAIRS = tuple(
    a + b for a in _POSTAL_LETTERS for b in _POSTAL_LETTERS if a + b not in ("SA", "SD", "SS")
)


@functools.cache
def bsns_in_test_range() -> tuple[str, ...]:
    """Every BSN of the test range (9999xxxxx) that passes the eleven test, in order."""
    candidates = (f"9999{middle:04d}{check}" for middle in range(10_000) for check in range(10))
    return tuple(bsn for bsn in candidates if bsn_is_valid(bsn))


# --- The fixed demo patients ---------------------------------------------------------------

_D = date  # brevity in the table below


def _demo_patients() -> dict[str, list[Person]]:
    """The hand-made patients of the demo practices, keyed by AGB code, numbered from 1."""
    return {
        "01001234": [
            Person(
                1, "999900171", ["Geertje"], "van der", "Meer", "female", _D(1941, 3, 14),
                "Mounewei 7", "9051 BK", "Stiens",
                [("06 41872035", "mobile"), ("058 - 257 38 14", "home")],
                episodes=[Episode("R95", _D(2009, 5, 12)), Episode("K77", _D(2019, 10, 3))],
                meds=[Med("tiotropium", _D(2012, 2, 1)), Med("furosemide", _D(2019, 10, 3))],
                allergies=[Allergy("penicilline", _D(1998, 6, 22))],
            ),
            Person(
                2, "999900419", ["Sjoerd"], "", "Dijkstra", "male", _D(1956, 8, 2),
                "Skoalstrjitte 23", "9051 CE", "Stiens", [("06 22918476", "mobile")],
                episodes=[Episode("K86", _D(2011, 9, 20)), Episode("T90", _D(2014, 4, 9))],
                meds=[
                    Med("enalapril", _D(2011, 10, 4)),
                    Med("metformine", _D(2014, 4, 9)),
                    Med("simvastatine", _D(2014, 5, 14)),
                    Med("gliclazide", _D(2019, 11, 27)),
                ],
            ),
            Person(
                3, "999900948", ["Tjitske"], "", "Bakker", "female", _D(1938, 11, 23),
                "Buorren 3", "9051 AC", "Stiens", [("06 38265017", "mobile")],
                episodes=[Episode("L90", _D(2008, 3, 17)), Episode("P70", _D(2022, 6, 14))],
                meds=[Med("paracetamol", _D(2008, 3, 17))],
            ),
            Person(
                4, "999901230", ["Hendrik"], "", "Visser", "male", _D(1949, 5, 30),
                "Haadwei 22", "9074 BE", "Hallum",
                [("06 51730964", "mobile"), ("0518 - 43 17 52", "home")],
                episodes=[Episode("K86", _D(2005, 2, 8)), Episode("K78", _D(2017, 7, 19))],
                meds=[Med("metoprolol", _D(2017, 7, 19)), Med("apixaban", _D(2017, 7, 26))],
                allergies=[Allergy("nsaid", _D(2017, 7, 26))],
            ),
        ],
        "01005678": [
            Person(
                1, "999902064", ["Anna"], "de", "Boer", "female", _D(1945, 2, 11),
                "Hoogstraat 14", "9101 LH", "Dokkum",
                [("06 47019385", "mobile"), ("0519 - 29 41 63", "home")],
                episodes=[Episode("T90", _D(2012, 1, 24)), Episode("R95", _D(2016, 9, 6))],
                meds=[
                    Med("metformine", _D(2012, 1, 24)),
                    Med("salbutamol", _D(2016, 9, 6)),
                    Med("tiotropium", _D(2016, 9, 6)),
                ],
            ),
        ],
    }  # fmt: skip


DEMO_PATIENTS: dict[str, list[Person]] = _demo_patients()
RESERVED_BSNS = frozenset(p.bsn for people in DEMO_PATIENTS.values() for p in people)


# --- Random people ---------------------------------------------------------------------------


def _mobile(rng: random.Random) -> str:
    return f"06 {rng.randint(1, 5)}{rng.randint(0, 9_999_999):07d}"


def _landline(rng: random.Random, area_code: str) -> str:
    if len(area_code) == 3:  # 058 - 212 34 56
        digits = f"{rng.randint(2, 5)}{rng.randint(0, 999_999):06d}"
        return f"{area_code} - {digits[:3]} {digits[3:5]} {digits[5:]}"
    digits = f"{rng.randint(2, 5)}{rng.randint(0, 99_999):05d}"  # 0519 - 29 41 63
    return f"{area_code} - {digits[:2]} {digits[2:4]} {digits[4:]}"


def _random_birth_date(rng: random.Random) -> date:
    draw = rng.random()
    if draw < 0.84:
        age = rng.triangular(45, 96, 74)
    elif draw < 0.97:
        age = rng.uniform(18, 45)
    else:
        age = rng.uniform(96, 101)
    return REFERENCE_DATE - timedelta(days=round(age * 365.25) + rng.randint(0, 364) - 182)


def random_person(rng: random.Random, number: int, bsn: str, towns: list[Town], weights):
    draw = rng.random()
    gender = "female" if draw < 0.52 else "male" if draw < 0.9955 else "other"
    if draw >= 0.999:
        gender = "unknown"
    birth = _random_birth_date(rng)
    if gender == "other" or gender == "unknown":
        names_gender = "female" if rng.random() < 0.5 else "male"
    else:
        names_gender = gender
    old, young = (
        (_FEMALE_OLD, _FEMALE_YOUNG) if names_gender == "female" else (_MALE_OLD, _MALE_YOUNG)
    )
    given = [rng.choice(old if birth.year < 1962 else young)]
    if rng.random() < 0.2:
        second = rng.choice(old)
        if second != given[0]:
            given.append(second)
    infix, own_name, _ = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]
    town = rng.choices(towns, weights=weights)[0]
    number_in_street = min(int(rng.expovariate(1 / 35)) + 1, 240)
    suffix = rng.choice(("a", "b", "-1", "-2")) if rng.random() < 0.07 else ""
    street = f"{rng.choice(_STREETS)} {number_in_street}{suffix}"
    postal = f"{rng.randint(town.postal_low, town.postal_high)} {rng.choice(_POSTAL_PAIRS)}"
    phones = [(_mobile(rng), "mobile")]
    if rng.random() < 0.35:
        phones.append((_landline(rng, town.area_code), "home"))
    person = Person(
        number, bsn, given, infix, own_name, gender, birth, street, postal, town.name, phones,
        deceased_flag=rng.random() < 0.03,
    )  # fmt: skip
    person.episodes = random_episodes(rng, birth, gender)
    person.allergies = random_allergies(rng, person)
    person.meds = random_medications(rng, person)
    return person


def practice_towns(practice_agb: str) -> tuple[list[Town], list[float]]:
    """Towns with weights: most patients live in or near the practice's own town."""
    home_name = PRACTICE_TOWNS.get(practice_agb)
    if home_name is None:
        home_name = random.Random(f"town:{practice_agb}").choice(TOWNS).name
    home = _TOWN_BY_NAME[home_name]

    def distance(town: Town) -> float:
        return math.hypot(town.lat - home.lat, (town.lon - home.lon) * 0.6)

    near = sorted(TOWNS, key=lambda t: (distance(t), t.name))[:5]
    weights = []
    for town in TOWNS:
        weight = town.weight / 200  # now and then someone from further away
        if town is home:
            weight += 6
        elif town in near:
            weight += 1 + town.weight / 20
        weights.append(weight)
    return list(TOWNS), weights
