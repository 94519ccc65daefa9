"""What the generated bundle says, in the terms the importer reads: code systems, ICPC-1-NL
episodes, drugs (ATC), intolerances and measurements (LOINC, NHG table 45), the nl-core
profiles, and the fixed moment of the extraction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The importer's own systems (BSN, HIS number, ICPC-1-NL, ATC, LOINC, NHG table 45, the name
# extensions) come from ``network.fhir``, so generator and importer cannot drift; these are ours.
UCUM_SYSTEM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
EN_QUALIFIER_URL = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier"
ASSEMBLY_ORDER_URL = "http://hl7.org/fhir/StructureDefinition/humanname-assembly-order"

CONDITION_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ALLERGY_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
)

# nl-core (Nictiz, zib 2020) profiles, claimed only where the resource meets them. Not claimed:
# nl-core-MedicationUse2 (the zib names the product in a separate Medication resource, we send
# a codeable concept) and nl-core-AllergyIntolerance (its substance binding is required and
# does not hold ATC groups); the other measurements have their own zib profiles, left for later.
_NL_CORE = "http://nictiz.nl/fhir/StructureDefinition/"
NL_CORE_PATIENT = _NL_CORE + "nl-core-Patient"
NL_CORE_PROBLEM = _NL_CORE + "nl-core-Problem"
NL_CORE_BLOOD_PRESSURE = _NL_CORE + "nl-core-BloodPressure"

# The moment of the extraction. Fixed, so the output does not depend on the clock.
BUNDLE_TIMESTAMP = "2026-11-01T06:00:00+01:00"
REFERENCE_DATE = date(2026, 11, 1)

MAX_EPISODES = 6
MAX_MEDICATIONS = 8
MAX_OBSERVATIONS = 20

# --- Terminology ------------------------------------------------------------------------------

# ICPC-1-NL episodes as a Dutch HIS registers them: the generator reasons in the three-character
# codes (the keys); the episode carries the NHG subcode where there is one for what is meant,
# else the three-character code, which is itself valid ICPC-1-NL. Subcodes only where they were
# found in independent Dutch GP data (NHG thesaurus users): T90.02 diabetes mellitus type 2
# (T90.01 is type 1) and K90.03 herseninfarct (K90.01/.02 are the bleedings; our strokes get
# antiplatelet drugs, so they are infarcts). Subcodes of K74, K77 and others exist but their
# meaning was not confirmed, so those stay three characters.
ICPC_SUBCODES: dict[str, tuple[str, str]] = {
    "T90": ("T90.02", "Diabetes mellitus type 2"),
    "K90": ("K90.03", "Herseninfarct"),
}


def icpc_episode(code: str) -> tuple[str, str]:
    """The ICPC-1-NL code and Dutch title an episode of ``code`` carries."""
    return ICPC_SUBCODES.get(code) or (code, ICPC_TITLES[code])


# The Dutch title a HIS shows, per three-character code.
ICPC_TITLES: dict[str, str] = {
    # chronic
    "T90": "Diabetes mellitus",
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
#
# Blood pressure is one Observation, as nl-core-BloodPressure and the HL7 vital-signs profile
# have it: the LOINC panel 85354-9 with the systolic (8480-6) and diastolic (8462-4) pressure as
# components; "sys" and "dia" describe those components.
MEASUREMENTS: dict[str, Measurement] = {
    "bp": Measurement("Bloeddruk", "85354-9", None, "mmHg", "mm[Hg]", False),
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
