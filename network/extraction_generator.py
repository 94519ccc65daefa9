"""A deterministic generator of synthetic HIS extractions (FHIR R4 Bundle, JSON).

A GP information system (HIS) hands over its patients as one FHIR ``collection`` Bundle: per
patient the Patient, then its episodes (Condition), medication (MedicationStatement),
allergies and contra-indications (AllergyIntolerance) and measurements (Observation). This
module makes such a bundle out of nothing, for demo extractions and for benchmarking the
import: ``generate_bundle(patients=5000, seed=1, practice_agb="01001234")``.

Everything is fictional. Names are Dutch and Frisian, towns lie in Friesland and the north of
Groningen (postal codes 8xxx/9xxx, the real ranges of those towns), BSNs come from the range
reserved for testing (they start with 9999) and pass the eleven test. Nothing reads the
database or the clock: the same arguments give byte-identical output (``random.Random(seed)``,
a fixed reference date, uuid5 identifiers).

Demo practices have fixed patients at the start of their list (``DEMO_PATIENTS``, keyed by the
practice's AGB code), so a demo script can point at "terp-0001" and find Geertje van der Meer.

The bundle layout is a contract with the importer; the constants below are what it imports.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from accounts.validators import bsn_is_valid

# Systems: the importer's own constants, so generator and importer cannot drift.
from network.fhir import (
    ATC_SYSTEM,
    BSN_SYSTEM,
    HIS_PATIENT_SYSTEM,
    ICPC2_SYSTEM,
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
)

UCUM_SYSTEM = "http://unitsofmeasure.org"
CONDITION_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ALLERGY_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
)

# The moment of the extraction. Fixed, so the output does not depend on the clock.
BUNDLE_TIMESTAMP = "2026-11-01T06:00:00+01:00"
REFERENCE_DATE = date(2026, 11, 1)
_TZ = "+01:00"  # all times are written as CET, also in summer; good enough for demo data

# Where uuid5 identifiers are derived from.
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://regiozorg.nl/fhir/extraction-generator")

MAX_EPISODES = 6
MAX_MEDICATIONS = 8
MAX_OBSERVATIONS = 20

# --- Terminology ------------------------------------------------------------------------------

# ICPC-2 codes with the Dutch title a HIS shows.
ICPC_TITLES: dict[str, str] = {
    # chronic
    "T90": "Diabetes mellitus type 2",
    "K86": "Hypertensie zonder orgaanbeschadiging",
    "K87": "Hypertensie met orgaanbeschadiging",
    "T93": "Vetstofwisselingsstoornis",
    "R95": "COPD",
    "R96": "Astma",
    "K77": "Hartfalen",
    "K78": "Atriumfibrilleren/-fladderen",
    "K74": "Angina pectoris",
    "K90": "Cerebrovasculair accident (CVA)",
    "P70": "Dementie",
    "P76": "Depressie",
    "L89": "Artrose heup",
    "L90": "Artrose knie",
    "T82": "Obesitas",
    "T86": "Hypothyreoïdie/myxoedeem",
    "L95": "Osteoporose",
    # short, resolved episodes
    "R74": "Acute infectie bovenste luchtwegen",
    "R78": "Acute bronchitis/bronchiolitis",
    "R81": "Pneumonie",
    "S18": "Laceratie/snijwond",
    "L03": "Lage rugpijn zonder uitstraling",
    "U71": "Cystitis/urineweginfectie",
    "H81": "Overmatig cerumen",
    "D73": "Gastro-enteritis, vermoedelijk infectieus",
    "S74": "Dermatomycose",
}


@dataclass(frozen=True)
class Drug:
    atc: str
    name: str  # the ATC substance name in Dutch (coding display)
    text: str  # the product as the HIS prints it
    dosage: str


DRUGS: dict[str, Drug] = {
    "metformine": Drug("A10BA02", "metformine", "Metformine 500 mg tablet", "2 dd 1 tablet"),
    "gliclazide": Drug("A10BB09", "gliclazide", "Gliclazide 80 mg tablet", "1 dd 1 tablet"),
    "insuline_glargine": Drug(
        "A10AE04",
        "insuline glargine",
        "Insuline glargine 100 E/ml injectievloeistof (pen)",
        "1 dd 18 E subcutaan, 's avonds",
    ),
    "enalapril": Drug("C09AA02", "enalapril", "Enalapril 10 mg tablet", "1 dd 1 tablet"),
    "losartan": Drug("C09CA01", "losartan", "Losartan 50 mg tablet", "1 dd 1 tablet"),
    "amlodipine": Drug("C08CA01", "amlodipine", "Amlodipine 5 mg tablet", "1 dd 1 tablet"),
    "hydrochloorthiazide": Drug(
        "C03AA03", "hydrochloorthiazide", "Hydrochloorthiazide 12,5 mg tablet", "1 dd 1 tablet"
    ),
    "furosemide": Drug(
        "C03CA01", "furosemide", "Furosemide 40 mg tablet", "1 dd 1 tablet 's ochtends"
    ),
    "spironolacton": Drug(
        "C03DA01", "spironolacton", "Spironolacton 25 mg tablet", "1 dd 1 tablet"
    ),
    "metoprolol": Drug(
        "C07AB02",
        "metoprolol",
        "Metoprololsuccinaat 50 mg tablet met gereguleerde afgifte",
        "1 dd 1 tablet",
    ),
    "bisoprolol": Drug("C07AB07", "bisoprolol", "Bisoprolol 2,5 mg tablet", "1 dd 1 tablet"),
    "simvastatine": Drug(
        "C10AA01", "simvastatine", "Simvastatine 40 mg tablet", "1 dd 1 tablet 's avonds"
    ),
    "atorvastatine": Drug(
        "C10AA05", "atorvastatine", "Atorvastatine 20 mg tablet", "1 dd 1 tablet"
    ),
    "acetylsalicylzuur": Drug(
        "B01AC06", "acetylsalicylzuur", "Acetylsalicylzuur 80 mg tablet", "1 dd 1 tablet"
    ),
    "clopidogrel": Drug("B01AC04", "clopidogrel", "Clopidogrel 75 mg tablet", "1 dd 1 tablet"),
    "apixaban": Drug("B01AF02", "apixaban", "Apixaban 5 mg tablet", "2 dd 1 tablet"),
    "nitroglycerine": Drug(
        "C01DA02",
        "glyceryltrinitraat",
        "Nitroglycerine 0,4 mg/dosis spray",
        "zo nodig 1 dosis onder de tong",
    ),
    "salbutamol": Drug(
        "R03AC02",
        "salbutamol",
        "Salbutamol 100 microg/dosis aerosol",
        "zo nodig 1-2 inhalaties, max 8 per dag",
    ),
    "tiotropium": Drug(
        "R03BB04",
        "tiotropium",
        "Tiotropium 2,5 microg/dosis inhalatievloeistof (Respimat)",
        "1 dd 2 inhalaties",
    ),
    "fluticason_salmeterol": Drug(
        "R03AK06",
        "salmeterol en fluticason",
        "Fluticason/salmeterol 250/50 microg/dosis inhalatiepoeder",
        "2 dd 1 inhalatie",
    ),
    "omeprazol": Drug(
        "A02BC01", "omeprazol", "Omeprazol 20 mg maagsapresistente capsule", "1 dd 1 capsule"
    ),
    "paracetamol": Drug(
        "N02BE01", "paracetamol", "Paracetamol 500 mg tablet", "3-4 dd 2 tabletten zo nodig"
    ),
    "citalopram": Drug("N06AB04", "citalopram", "Citalopram 20 mg tablet", "1 dd 1 tablet"),
    "colecalciferol": Drug(
        "A11CC05", "colecalciferol", "Colecalciferol 800 IE tablet", "1 dd 1 tablet"
    ),
    "macrogol": Drug(
        "A06AD65",
        "macrogol, combinaties",
        "Macrogol/elektrolyten poeder voor drank (sachet)",
        "1 dd 1 sachet",
    ),
    "oxazepam": Drug(
        "N05BA04", "oxazepam", "Oxazepam 10 mg tablet", "zo nodig 1 tablet voor de nacht"
    ),
    "levothyroxine": Drug(
        "H03AA01", "levothyroxine", "Levothyroxine 50 microg tablet", "1 dd 1 tablet, nuchter"
    ),
    "alendroninezuur": Drug(
        "M05BA04", "alendroninezuur", "Alendroninezuur 70 mg tablet", "1 x per week 1 tablet"
    ),
    "calcium_colecalciferol": Drug(
        "A12AX",
        "calcium, combinaties met vitamine D",
        "Calciumcarbonaat/colecalciferol 1,25 g/800 IE kauwtablet",
        "1 dd 1 kauwtablet",
    ),
    "rivastigmine": Drug(
        "N06DA03", "rivastigmine", "Rivastigmine 4,6 mg/24 uur pleister", "1 dd 1 pleister"
    ),
    "amoxicilline": Drug(
        "J01CA04", "amoxicilline", "Amoxicilline 500 mg capsule", "3 dd 1 capsule, 5 dagen"
    ),
    "doxycycline": Drug(
        "J01AA02",
        "doxycycline",
        "Doxycycline 100 mg tablet",
        "1 dd 1 tablet, 7 dagen (eerste dag 2 tabletten)",
    ),
    "nitrofurantoine": Drug(
        "J01XE01",
        "nitrofurantoïne",
        "Nitrofurantoïne 100 mg capsule met gereguleerde afgifte",
        "2 dd 1 capsule, 5 dagen",
    ),
    "naproxen": Drug("M01AE02", "naproxen", "Naproxen 500 mg tablet", "2 dd 1 tablet"),
    "prednisolon": Drug(
        "H02AB06", "prednisolon", "Prednisolon 5 mg tablet", "1 dd 8 tabletten, 5 dagen"
    ),
    "miconazol": Drug("D01AC02", "miconazol", "Miconazol 20 mg/g crème", "2 dd dun aanbrengen"),
}


@dataclass(frozen=True)
class Intolerance:
    text: str
    atc: str | None  # ATC group, where it is a class of drugs
    atc_name: str | None
    type: str  # "allergy" | "intolerance"
    criticality: str  # "high" | "low"


INTOLERANCES: dict[str, Intolerance] = {
    "penicilline": Intolerance("Penicilline", "J01C", "penicillines", "allergy", "high"),
    "nsaid": Intolerance("NSAID's", "M01A", "NSAID's", "intolerance", "high"),
    "sulfonamiden": Intolerance(
        "Sulfonamiden", "J01E", "sulfonamiden en trimethoprim", "allergy", "high"
    ),
    "ace": Intolerance("ACE-remmers (prikkelhoest)", "C09A", "ACE-remmers", "intolerance", "low"),
    "statine": Intolerance(
        "Statines (spierpijn)", "C10AA", "HMG-CoA-reductaseremmers", "intolerance", "low"
    ),
    "codeine": Intolerance("Codeïne", "R05DA04", "codeïne", "intolerance", "low"),
    "macroliden": Intolerance("Macroliden", "J01FA", "macroliden", "allergy", "low"),
    "contrast": Intolerance(
        "Jodiumhoudende contrastmiddelen",
        "V08A",
        "jodiumhoudende contrastmiddelen",
        "allergy",
        "high",
    ),
    "metoclopramide": Intolerance(
        "Metoclopramide", "A03FA01", "metoclopramide", "intolerance", "low"
    ),
}


@dataclass(frozen=True)
class Measurement:
    name: str  # Dutch
    loinc: str
    nhg: str | None
    unit: str  # as printed
    ucum: str
    lab: bool  # drawn at the lab (mornings), not measured in the consultation room


# NHG table 45 numbers are given only where they were cross-checked in two independent
# published sources (HIS indicator definitions of a care-group reporting tool and a published
# code mapping): 1744 RRSY (systolic), 1740 RRDI (diastolic), 357 GEW (weight), 2816 HBAC
# (HbA1c IFCC), 3583 KREC (eGFR CKD-EPI), 542 LDL (LDL cholesterol), 40 ALBK (albumin/
# creatinine ratio, urine). BMI, pulse, glucose, HDL, total cholesterol, TSH, oxygen
# saturation and temperature carry LOINC only: their table-45 numbers were not verified, and
# an invented number is worse than none. Lab values in mmol/l use the molar LOINC codes.
MEASUREMENTS: dict[str, Measurement] = {
    "sys": Measurement("Systolische bloeddruk", "8480-6", "1744", "mmHg", "mm[Hg]", False),
    "dia": Measurement("Diastolische bloeddruk", "8462-4", "1740", "mmHg", "mm[Hg]", False),
    "weight": Measurement("Gewicht", "29463-7", "357", "kg", "kg", False),
    "bmi": Measurement("BMI", "39156-5", None, "kg/m2", "kg/m2", False),
    "hr": Measurement("Polsfrequentie", "8867-4", None, "/min", "/min", False),
    "spo2": Measurement("Zuurstofsaturatie", "59408-5", None, "%", "%", False),
    "temp": Measurement("Lichaamstemperatuur", "8310-5", None, "°C", "Cel", False),
    "hba1c": Measurement("HbA1c (IFCC)", "59261-8", "2816", "mmol/mol", "mmol/mol", True),
    "glucose": Measurement("Glucose nuchter", "14771-0", None, "mmol/l", "mmol/L", True),
    "egfr": Measurement(
        "eGFR (CKD-EPI)", "62238-1", "3583", "ml/min/1,73m2", "mL/min/{1.73_m2}", True
    ),
    "ldl": Measurement("LDL-cholesterol", "22748-8", "542", "mmol/l", "mmol/L", True),
    "hdl": Measurement("HDL-cholesterol", "14646-4", None, "mmol/l", "mmol/L", True),
    "chol": Measurement("Totaal cholesterol", "14647-2", None, "mmol/l", "mmol/L", True),
    "acr": Measurement(
        "Albumine/kreatinine-ratio urine", "32294-1", "40", "mg/mmol", "mg/mmol", True
    ),
    "tsh": Measurement("TSH", "3016-3", None, "mU/l", "m[IU]/L", True),
}

# --- People and places ----------------------------------------------------------------------

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


@dataclass
class _Episode:
    code: str
    onset: date
    abatement: date | None = None

    @property
    def active(self) -> bool:
        return self.abatement is None


@dataclass
class _Med:
    key: str
    start: date
    end: date | None = None


@dataclass
class _Allergy:
    key: str
    recorded: date


@dataclass
class _Obs:
    key: str
    when: datetime
    value: float | int


@dataclass
class _Person:
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
    episodes: list[_Episode] = field(default_factory=list)
    meds: list[_Med] = field(default_factory=list)
    allergies: list[_Allergy] = field(default_factory=list)
    observations: list[_Obs] = field(default_factory=list)

    @property
    def age(self) -> int:
        return _age(self.birth)

    def active_codes(self) -> set[str]:
        return {e.code for e in self.episodes if e.active}

    def onset_of(self, code: str) -> date:
        return min(e.onset for e in self.episodes if e.code == code and e.active)


_D = date  # brevity in the table below


def _demo_patients() -> dict[str, list[_Person]]:
    """The hand-made patients of the demo practices, keyed by AGB code, numbered from 1."""
    return {
        "01001234": [
            _Person(
                1, "999900171", ["Geertje"], "van der", "Meer", "female", _D(1941, 3, 14),
                "Mounewei 7", "9051 BK", "Stiens",
                [("06 41872035", "mobile"), ("058 - 257 38 14", "home")],
                episodes=[_Episode("R95", _D(2009, 5, 12)), _Episode("K77", _D(2019, 10, 3))],
                meds=[_Med("tiotropium", _D(2012, 2, 1)), _Med("furosemide", _D(2019, 10, 3))],
                allergies=[_Allergy("penicilline", _D(1998, 6, 22))],
            ),
            _Person(
                2, "999900419", ["Sjoerd"], "", "Dijkstra", "male", _D(1956, 8, 2),
                "Skoalstrjitte 23", "9051 CE", "Stiens", [("06 22918476", "mobile")],
                episodes=[_Episode("K86", _D(2011, 9, 20)), _Episode("T90", _D(2014, 4, 9))],
                meds=[
                    _Med("enalapril", _D(2011, 10, 4)),
                    _Med("metformine", _D(2014, 4, 9)),
                    _Med("simvastatine", _D(2014, 5, 14)),
                    _Med("gliclazide", _D(2019, 11, 27)),
                ],
            ),
            _Person(
                3, "999900948", ["Tjitske"], "", "Bakker", "female", _D(1938, 11, 23),
                "Buorren 3", "9051 AC", "Stiens", [("06 38265017", "mobile")],
                episodes=[_Episode("L90", _D(2008, 3, 17)), _Episode("P70", _D(2022, 6, 14))],
                meds=[_Med("paracetamol", _D(2008, 3, 17))],
            ),
            _Person(
                4, "999901230", ["Hendrik"], "", "Visser", "male", _D(1949, 5, 30),
                "Haadwei 22", "9074 BE", "Hallum",
                [("06 51730964", "mobile"), ("0518 - 43 17 52", "home")],
                episodes=[_Episode("K86", _D(2005, 2, 8)), _Episode("K78", _D(2017, 7, 19))],
                meds=[_Med("metoprolol", _D(2017, 7, 19)), _Med("apixaban", _D(2017, 7, 26))],
                allergies=[_Allergy("nsaid", _D(2017, 7, 26))],
            ),
        ],
        "01005678": [
            _Person(
                1, "999902064", ["Anna"], "de", "Boer", "female", _D(1945, 2, 11),
                "Hoogstraat 14", "9101 LH", "Dokkum",
                [("06 47019385", "mobile"), ("0519 - 29 41 63", "home")],
                episodes=[_Episode("T90", _D(2012, 1, 24)), _Episode("R95", _D(2016, 9, 6))],
                meds=[
                    _Med("metformine", _D(2012, 1, 24)),
                    _Med("salbutamol", _D(2016, 9, 6)),
                    _Med("tiotropium", _D(2016, 9, 6)),
                ],
            ),
        ],
    }  # fmt: skip


DEMO_PATIENTS: dict[str, list[_Person]] = _demo_patients()
_RESERVED_BSNS = frozenset(p.bsn for people in DEMO_PATIENTS.values() for p in people)

# --- Small helpers -----------------------------------------------------------------------------


def _age(birth: date, on: date = REFERENCE_DATE) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _years(value: float) -> timedelta:
    return timedelta(days=round(value * 365.25))


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_UUID_NAMESPACE, "|".join(str(p) for p in parts)))


def _mobile(rng: random.Random) -> str:
    return f"06 {rng.randint(1, 5)}{rng.randint(0, 9_999_999):07d}"


def _landline(rng: random.Random, area_code: str) -> str:
    if len(area_code) == 3:  # 058 - 212 34 56
        digits = f"{rng.randint(2, 5)}{rng.randint(0, 999_999):06d}"
        return f"{area_code} - {digits[:3]} {digits[3:5]} {digits[5:]}"
    digits = f"{rng.randint(2, 5)}{rng.randint(0, 99_999):05d}"  # 0519 - 29 41 63
    return f"{area_code} - {digits[:2]} {digits[2:4]} {digits[4:]}"


# --- Random patients -----------------------------------------------------------------------------

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
    position = _clamp((age - 40) / 45, 0.0, 1.3)
    probability = p40 + (p85 - p40) * position
    if code == "T86":
        probability *= {"female": 2.0, "male": 0.4}.get(gender, 1.0)
    elif code == "L95":
        probability *= {"female": 1.6, "male": 0.3}.get(gender, 1.0)
    return probability


def _random_birth_date(rng: random.Random) -> date:
    draw = rng.random()
    if draw < 0.84:
        age = rng.triangular(45, 96, 74)
    elif draw < 0.97:
        age = rng.uniform(18, 45)
    else:
        age = rng.uniform(96, 101)
    return REFERENCE_DATE - timedelta(days=round(age * 365.25) + rng.randint(0, 364) - 182)


def _random_episodes(rng: random.Random, birth: date, gender: str) -> list[_Episode]:
    age = _age(birth)
    chronic: list[_Episode] = []
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
        onset = min(birth + _years(onset_age), REFERENCE_DATE - timedelta(days=30))
        chronic.append(_Episode(code, onset))
    chronic = chronic[:MAX_EPISODES]

    resolved: list[_Episode] = []
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
        resolved.append(_Episode(code, onset, onset + timedelta(rng.randint(shortest, longest))))
    return sorted(chronic + resolved, key=lambda e: (e.onset, e.code))


def _random_allergies(rng: random.Random, person: _Person) -> list[_Allergy]:
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
    adult = max(person.birth + _years(18), REFERENCE_DATE - _years(35))
    for key in chosen:
        if key in ("ace", "statine"):  # found out while treating the cardiovascular condition
            first = min(person.onset_of(c) for c in codes & _CARDIOVASCULAR)
            low = first + timedelta(days=180)
        else:
            low = adult
        high = REFERENCE_DATE - timedelta(days=60)
        low = min(low, high)
        allergies.append(_Allergy(key, low + timedelta(days=rng.randint(0, (high - low).days))))
    return sorted(allergies, key=lambda a: (a.recorded, a.key))


def _random_medications(rng: random.Random, person: _Person) -> list[_Med]:
    """Medication that fits the episodes and respects the allergies and contra-indications."""
    codes = person.active_codes()
    avoid = {a.key: a.recorded for a in person.allergies}
    age = person.age
    latest_start = REFERENCE_DATE - timedelta(days=14)
    active: dict[str, date] = {}
    stopped: list[_Med] = []

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
            stopped.append(_Med("enalapril", began, switched))
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
            stopped.append(_Med("simvastatine", began, stopped_on))
        elif maybe(0.15):  # simvastatine was not enough: switched to atorvastatine
            began = person.onset_of(code) + timedelta(days=rng.randint(0, 200))
            switched = began + timedelta(days=rng.randint(120, 1500))
            if switched <= latest_start:
                stopped.append(_Med("simvastatine", began, switched))
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
        return max(began, person.birth + _years(18))

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
            stopped.append(_Med(key, episode.onset, episode.onset + timedelta(days=days)))
    if "R95" in codes and maybe(0.25):  # a lung attack in the last years
        began = REFERENCE_DATE - timedelta(days=rng.randint(60, 1000))
        stopped.append(_Med("prednisolon", began, began + timedelta(days=5)))

    meds = [_Med(key, began) for key, began in list(active.items())[:MAX_MEDICATIONS]]
    active_keys = {m.key for m in meds}
    for med in stopped:
        if len(meds) >= MAX_MEDICATIONS:
            break
        if med.key not in active_keys:
            meds.append(med)
    return sorted(meds, key=lambda m: (m.start, m.key))


# --- Measurements ---------------------------------------------------------------------------------

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
_GROUP_SIZE = {"bp": 2}  # systolic and diastolic


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


def _baseline(rng: random.Random, person: _Person) -> _Baseline:
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
        hba1c, glucose = _clamp(gauss(56, 7), 42, 85), _clamp(gauss(8.2, 1.4), 5.5, 14)
    else:
        hba1c, glucose = _clamp(gauss(38, 3), 30, 46), _clamp(gauss(5.5, 0.45), 4.2, 6.9)
    if "R95" in codes:
        spo2 = gauss(93.5, 2)
    else:
        spo2 = gauss(95, 1.5) if "K77" in codes else gauss(97.5, 1)
    female = person.gender == "female"
    return _Baseline(
        height=_clamp(height, 1.45, 2.05),
        bmi=_clamp(bmi, 18.5, 45.0),
        systolic=_clamp(systolic, 100, 185),
        diastolic=_clamp(diastolic, 55, 105),
        pulse=_clamp(pulse, 50, 120),
        hba1c=hba1c,
        glucose=glucose,
        egfr=_clamp(egfr, 18, 115),
        ldl=_clamp(gauss(2.3, 0.5) if on_statin else gauss(3.3, 0.7), 1.0, 6.5),
        hdl=_clamp(gauss(1.5, 0.3) if female else gauss(1.2, 0.25), 0.6, 2.8),
        acr=_clamp(math.exp(gauss(0.3 if diabetic else -0.3, 1.0)), 0.1, 150.0),
        spo2=spo2,
        tsh=_clamp(gauss(2.5, 1.2), 0.2, 9.0),
    )


def _value(rng: random.Random, key: str, base: _Baseline, person: _Person):
    gauss = rng.gauss
    if key == "sys":
        return round(_clamp(base.systolic + gauss(0, 7), 95, 200))
    if key == "dia":
        return round(_clamp(base.diastolic + gauss(0, 5), 50, 115))
    if key == "weight":
        spread = 2.0 if "K77" in person.active_codes() else 1.0
        return round(base.bmi * base.height**2 + gauss(0, spread), 1)
    if key == "hr":
        return round(_clamp(base.pulse + gauss(0, 6), 45, 140))
    if key == "spo2":
        return round(_clamp(base.spo2 + gauss(0, 1), 85, 100))
    if key == "hba1c":
        return round(_clamp(base.hba1c + gauss(0, 3), 30, 110))
    if key == "glucose":
        return round(_clamp(base.glucose + gauss(0, 0.6), 3.8, 20), 1)
    if key == "egfr":
        return round(_clamp(base.egfr + gauss(0, 4), 10, 120))
    if key == "ldl":
        return round(_clamp(base.ldl + gauss(0, 0.25), 0.8, 7), 1)
    if key == "hdl":
        return round(_clamp(base.hdl + gauss(0, 0.08), 0.5, 3), 2)
    if key == "chol":
        return round(base.ldl + base.hdl + _clamp(gauss(0.7, 0.2), 0.2, 1.5), 1)
    if key == "acr":
        return round(_clamp(base.acr * math.exp(gauss(0, 0.25)), 0.1, 200), 1)
    if key == "tsh":
        return round(_clamp(base.tsh + gauss(0, 0.5), 0.1, 12), 1)
    if key == "temp":
        return round(_clamp(gauss(38.6, 0.4), 37.5, 40.5), 1)
    raise ValueError(key)


def _observations(rng: random.Random, person: _Person) -> list[_Obs]:
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
            if MEASUREMENTS[_first_key(group)].lab:
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
    observations: list[_Obs] = []
    for group in _GROUP_ORDER:
        for day in dates.get(group, ()):
            keys = ("sys", "dia") if group == "bp" else (group,)
            when = moment(day, MEASUREMENTS[keys[0]].lab)
            for key in keys:
                observations.append(_Obs(key, when, _value(rng, key, base, person)))
    if bmi_wanted and "weight" in dates:
        latest_weight = max((o for o in observations if o.key == "weight"), key=lambda o: o.when)
        bmi = round(latest_weight.value / base.height**2, 1)
        observations.append(_Obs("bmi", latest_weight.when, bmi))

    # A pneumonia or bronchitis in the last three years: fever and saturation at the visit.
    for episode in person.episodes:
        if episode.code not in ("R81", "R78") or episode.onset < window_start:
            continue
        if len(observations) + 2 > MAX_OBSERVATIONS:
            break
        when = moment(episode.onset, False)
        if episode.code == "R81" or rng.random() < 0.5:
            observations.append(_Obs("temp", when, _value(rng, "temp", base, person)))
            saturation = round(_clamp(base.spo2 - rng.uniform(1, 5), 85, 99))
            observations.append(_Obs("spo2", when, saturation))
    return sorted(observations, key=lambda o: (o.when, list(MEASUREMENTS).index(o.key)))


def _first_key(group: str) -> str:
    return "sys" if group == "bp" else group


def _random_person(rng: random.Random, number: int, bsn: str, towns: list[Town], weights):
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
    person = _Person(
        number, bsn, given, infix, own_name, gender, birth, street, postal, town.name, phones,
        deceased_flag=rng.random() < 0.03,
    )  # fmt: skip
    person.episodes = _random_episodes(rng, birth, gender)
    person.allergies = _random_allergies(rng, person)
    person.meds = _random_medications(rng, person)
    return person


def _practice_towns(practice_agb: str) -> tuple[list[Town], list[float]]:
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


# --- FHIR resources ---------------------------------------------------------------------------


def _patient_resource(person: _Person, pid: str) -> dict:
    family = f"{person.infix} {person.own_name}" if person.infix else person.own_name
    extension = [{"url": OWN_NAME_URL, "valueString": person.own_name}]
    if person.infix:
        extension.insert(0, {"url": OWN_PREFIX_URL, "valueString": person.infix})
    resource = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [
            {"system": BSN_SYSTEM, "value": person.bsn},
            {"system": HIS_PATIENT_SYSTEM, "value": pid},
        ],
        "name": [
            {
                "use": "official",
                "family": family,
                "_family": {"extension": extension},
                "given": list(person.given),
            }
        ],
        "telecom": [
            {"system": "phone", "value": value, "use": use} for value, use in person.phones
        ],
        "gender": person.gender,
        "birthDate": person.birth.isoformat(),
    }
    if person.deceased_flag:
        resource["deceasedBoolean"] = False
    resource["address"] = [
        {
            "use": "home",
            "line": [person.street],
            "postalCode": person.postal_code,
            "city": person.city,
            "country": "NL",
        }
    ]
    return resource


def _condition_resource(episode: _Episode, rid: str, subject: dict) -> dict:
    title = ICPC_TITLES[episode.code]
    status = "active" if episode.active else "resolved"
    resource = {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL_SYSTEM, "code": status}]},
        "code": {
            "coding": [{"system": ICPC2_SYSTEM, "code": episode.code, "display": title}],
            "text": title,
        },
        "subject": subject,
        "onsetDateTime": episode.onset.isoformat(),
    }
    if episode.abatement:
        resource["abatementDateTime"] = episode.abatement.isoformat()
    return resource


def _medication_resource(med: _Med, rid: str, subject: dict) -> dict:
    drug = DRUGS[med.key]
    period = {"start": med.start.isoformat()}
    if med.end:
        period["end"] = med.end.isoformat()
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "completed" if med.end else "active",
        "medicationCodeableConcept": {
            "coding": [{"system": ATC_SYSTEM, "code": drug.atc, "display": drug.name}],
            "text": drug.text,
        },
        "subject": subject,
        "effectivePeriod": period,
        "dosage": [{"text": drug.dosage}],
    }


def _allergy_resource(allergy: _Allergy, rid: str, subject: dict) -> dict:
    kind = INTOLERANCES[allergy.key]
    code: dict = {"text": kind.text}
    if kind.atc:
        code = {
            "coding": [{"system": ATC_SYSTEM, "code": kind.atc, "display": kind.atc_name}],
            "text": kind.text,
        }
    return {
        "resourceType": "AllergyIntolerance",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL_SYSTEM, "code": "active"}]},
        "verificationStatus": {
            "coding": [{"system": ALLERGY_VERIFICATION_SYSTEM, "code": "confirmed"}]
        },
        "type": kind.type,
        "category": ["medication"],
        "criticality": kind.criticality,
        "code": code,
        "patient": subject,
        "recordedDate": allergy.recorded.isoformat(),
    }


def _observation_resource(obs: _Obs, rid: str, subject: dict) -> dict:
    kind = MEASUREMENTS[obs.key]
    coding = [{"system": LOINC_SYSTEM, "code": kind.loinc}]
    if kind.nhg:
        coding.insert(0, {"system": NHG_TABLE_45_SYSTEM, "code": kind.nhg, "display": kind.name})
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": coding, "text": kind.name},
        "subject": subject,
        "effectiveDateTime": obs.when.strftime("%Y-%m-%dT%H:%M:00") + _TZ,
        "valueQuantity": {
            "value": obs.value,
            "unit": kind.unit,
            "system": UCUM_SYSTEM,
            "code": kind.ucum,
        },
    }


def _entries(person: _Person, pid: str, practice_agb: str) -> list[dict]:
    subject = {"reference": f"Patient/{pid}"}
    resources = [_patient_resource(person, pid)]
    resources += [
        _condition_resource(e, f"{pid}-ep{k}", dict(subject))
        for k, e in enumerate(person.episodes, 1)
    ]
    resources += [
        _medication_resource(m, f"{pid}-med{k}", dict(subject))
        for k, m in enumerate(person.meds, 1)
    ]
    resources += [
        _allergy_resource(a, f"{pid}-ci{k}", dict(subject))
        for k, a in enumerate(person.allergies, 1)
    ]
    resources += [
        _observation_resource(o, f"{pid}-obs{k}", dict(subject))
        for k, o in enumerate(person.observations, 1)
    ]
    return [
        {"fullUrl": f"urn:uuid:{_uuid(practice_agb, r['resourceType'], r['id'])}", "resource": r}
        for r in resources
    ]


# --- Public API ----------------------------------------------------------------------------------


def generate_bundle(*, patients: int, seed: int, practice_agb: str, id_prefix: str = "") -> dict:
    """A synthetic HIS extraction of ``patients`` patients, as a FHIR R4 Bundle (a dict).

    The same arguments always give the same bundle. A demo practice (``DEMO_PATIENTS``)
    starts with its fixed patients; the rest are drawn from ``random.Random(seed)``.
    """
    if patients < 0:
        raise ValueError("patients must not be negative")
    fixed = [p for p in DEMO_PATIENTS.get(practice_agb, []) if p.number <= patients]
    pool = [bsn for bsn in bsns_in_test_range() if bsn not in _RESERVED_BSNS]
    random_count = patients - len(fixed)
    if random_count > len(pool):
        raise ValueError(
            f"at most {len(pool) + len(fixed)} patients: the BSN test range has no more numbers"
        )
    rng = random.Random(seed)
    bsns = rng.sample(pool, random_count)
    towns, weights = _practice_towns(practice_agb)

    people: list[_Person] = []
    for number in range(1, patients + 1):
        if number <= len(fixed):
            person = copy.deepcopy(fixed[number - 1])
            own_rng = random.Random(f"demo:{practice_agb}:{number}")  # independent of the seed
            person.observations = _observations(own_rng, person)
        else:
            person = _random_person(rng, number, bsns[number - len(fixed) - 1], towns, weights)
            person.observations = _observations(rng, person)
        people.append(person)

    entries: list[dict] = []
    for person in people:
        entries += _entries(person, f"{id_prefix}{person.number:04d}", practice_agb)
    return {
        "resourceType": "Bundle",
        "id": _uuid("bundle", practice_agb, seed, patients, id_prefix),
        "type": "collection",
        "timestamp": BUNDLE_TIMESTAMP,
        "meta": {"source": f"urn:agb:{practice_agb}"},
        "entry": entries,
    }


def dumps_bundle(bundle: dict) -> str:
    """The bundle as compact JSON text (non-ASCII kept as is), ending in a newline."""
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_bundle(bundle: dict, path) -> None:
    """Write the bundle to ``path`` as compact UTF-8 JSON."""
    Path(path).write_bytes(dumps_bundle(bundle).encode("utf-8"))


def resource_counts(bundle: dict) -> dict[str, int]:
    """How many resources of each type the bundle holds, in the order of the contract."""
    counts = dict.fromkeys(
        ("Patient", "Condition", "MedicationStatement", "AllergyIntolerance", "Observation"), 0
    )
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
