"""The synthetic HIS extraction: deterministic, valid FHIR, fictional, and written the way Dutch GP
systems and nl-core write it (urn:uuid references by the Bundle rules, ICPC-1-NL with NHG
subcodes, one blood-pressure Observation with components).

No database: the generator is pure Python. Validation uses the R4B models of ``fhir.resources``
(R4B is R4 with fixes; the resources used here are the same).
"""

from __future__ import annotations

import io
import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from accounts.validators import bsn_is_valid
from tools.extraction import (
    ATC_SYSTEM,
    BSN_SYSTEM,
    BUNDLE_TIMESTAMP,
    HIS_PATIENT_SYSTEM,
    ICPC1NL_SYSTEM,
    LOINC_SYSTEM,
    MAX_EPISODES,
    MAX_MEDICATIONS,
    MAX_OBSERVATIONS,
    MEASUREMENTS,
    NHG_TABLE_45_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
    REFERENCE_DATE,
    bsns_in_test_range,
    dumps_bundle,
    generate_bundle,
    resource_counts,
    write_bundle,
)

FIXTURES = Path(__file__).resolve().parents[2] / "network" / "fixtures" / "extractions"
DEMO_FILES = {
    "terp.json": {"patients": 40, "seed": 1, "practice_agb": "01001234", "id_prefix": "terp-"},
    "wad.json": {"patients": 25, "seed": 2, "practice_agb": "01005678", "id_prefix": "wad-"},
}
MODELS = {
    "Patient": Patient,
    "Condition": Condition,
    "MedicationStatement": MedicationStatement,
    "AllergyIntolerance": AllergyIntolerance,
    "Observation": Observation,
}
# The NHG table-45 numbers the generator may use (see the comment in the module).
VERIFIED_NHG = {"1744", "1740", "357", "2816", "3583", "542", "40"}
# The ICPC-1-NL subcodes the generator may use (see the comment in the module).
VERIFIED_SUBCODES = {"T90.02": "Diabetes mellitus type 2", "K90.03": "Herseninfarct"}
ICPC1NL_CODE = re.compile(r"[A-Z]\d{2}(\.\d{2})?")
NL_CORE = "http://nictiz.nl/fhir/StructureDefinition/"
EN_QUALIFIER_URL = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier"
ASSEMBLY_ORDER_URL = "http://hl7.org/fhir/StructureDefinition/humanname-assembly-order"


@pytest.fixture(scope="module")
def demo_bundle():
    """A practice with fixed demo patients plus plenty of random ones."""
    return generate_bundle(patients=150, seed=3, practice_agb="01001234", id_prefix="terp-")


@pytest.fixture(scope="module")
def large_bundle():
    return generate_bundle(patients=1500, seed=11, practice_agb="01009999", id_prefix="b-")


def _resources(bundle, kind=None):
    return [
        e["resource"]
        for e in bundle["entry"]
        if kind is None or e["resource"]["resourceType"] == kind
    ]


def _patients_by_full_url(bundle) -> dict[str, str]:
    """The Patient entries' fullUrls, each with the patient's id."""
    return {
        e["fullUrl"]: e["resource"]["id"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Patient"
    }


def _reference(resource) -> str:
    return (resource.get("subject") or resource["patient"])["reference"]


def _owner(resource, patients: dict[str, str]) -> str:
    """The id of the patient a resource belongs to, found by the Bundle rules: the reference is
    the fullUrl of the patient's entry (``patients`` from ``_patients_by_full_url``)."""
    if resource["resourceType"] == "Patient":
        return resource["id"]
    return patients[_reference(resource)]


def _icpc(condition) -> str:
    (coding,) = condition["code"]["coding"]
    return coding["code"]


def _identifier(patient, system) -> str:
    return next(i["value"] for i in patient["identifier"] if i["system"] == system)


def _load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _patient(bundle, pid):
    return next(r for r in _resources(bundle, "Patient") if r["id"] == pid)


def _of(bundle, pid, kind):
    patients = _patients_by_full_url(bundle)
    return [r for r in _resources(bundle, kind) if _owner(r, patients) == pid]


# --- Determinism ---------------------------------------------------------------------------------


def test_same_arguments_give_identical_output():
    args = {"patients": 60, "seed": 7, "practice_agb": "01009999", "id_prefix": "x-"}
    assert dumps_bundle(generate_bundle(**args)) == dumps_bundle(generate_bundle(**args))


def test_a_different_seed_gives_different_patients():
    first = generate_bundle(patients=60, seed=7, practice_agb="01009999")
    second = generate_bundle(patients=60, seed=8, practice_agb="01009999")
    assert dumps_bundle(first) != dumps_bundle(second)
    bsns = [{_identifier(p, BSN_SYSTEM) for p in _resources(b, "Patient")} for b in (first, second)]
    assert bsns[0] != bsns[1]
    assert first["id"] != second["id"]


def test_fixed_demo_patients_do_not_depend_on_the_seed():
    first = generate_bundle(patients=4, seed=1, practice_agb="01001234", id_prefix="terp-")
    second = generate_bundle(patients=4, seed=99, practice_agb="01001234", id_prefix="terp-")
    assert first["entry"] == second["entry"]


def test_generating_twice_does_not_change_the_demo_patients():
    """The fixed patients are module data; generating must not leave anything behind on them."""
    before = dumps_bundle(generate_bundle(patients=5, seed=1, practice_agb="01001234"))
    generate_bundle(patients=300, seed=5, practice_agb="01001234")
    assert dumps_bundle(generate_bundle(patients=5, seed=1, practice_agb="01001234")) == before


# --- Valid FHIR ----------------------------------------------------------------------------------


def test_every_resource_validates_against_fhir(demo_bundle):
    for resource in _resources(demo_bundle):
        MODELS[resource["resourceType"]].model_validate(resource)


def test_the_bundle_validates_as_a_whole(demo_bundle):
    bundle = Bundle.model_validate(demo_bundle)
    assert bundle.type == "collection"
    assert len(bundle.entry) == len(demo_bundle["entry"])


@pytest.mark.parametrize("name", DEMO_FILES)
def test_demo_files_validate_against_fhir(name):
    bundle = _load(name)
    for resource in _resources(bundle):
        MODELS[resource["resourceType"]].model_validate(resource)


def test_bundle_envelope():
    bundle = generate_bundle(patients=2, seed=1, practice_agb="01005678", id_prefix="wad-")
    assert list(bundle) == ["resourceType", "id", "type", "timestamp", "meta", "entry"]
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == BUNDLE_TIMESTAMP
    assert bundle["meta"] == {"source": "urn:agb:01005678"}
    for entry in bundle["entry"]:
        assert list(entry) == ["fullUrl", "resource"]
        assert entry["fullUrl"].startswith("urn:uuid:")


def test_entries_are_grouped_per_patient_in_contract_order(demo_bundle):
    order = ["Patient", "Condition", "MedicationStatement", "AllergyIntolerance", "Observation"]
    patients = _patients_by_full_url(demo_bundle)
    current = None
    last_rank = 0
    for resource in _resources(demo_bundle):
        kind = resource["resourceType"]
        if kind == "Patient":
            current, last_rank = resource["id"], 0
            continue
        assert _owner(resource, patients) == current, "a resource must follow its own Patient"
        assert order.index(kind) >= last_rank
        last_rank = order.index(kind)


# --- Identity ------------------------------------------------------------------------------------


def test_every_bsn_is_a_valid_test_bsn_and_unique(large_bundle):
    bsns = [_identifier(p, BSN_SYSTEM) for p in _resources(large_bundle, "Patient")]
    assert len(bsns) == 1500
    assert len(set(bsns)) == len(bsns)
    for bsn in bsns:
        assert len(bsn) == 9
        assert bsn.startswith("9999")
        assert bsn_is_valid(bsn)


def test_the_test_range_holds_only_valid_bsns():
    pool = bsns_in_test_range()
    assert len(pool) == len(set(pool)) > 9000
    assert all(b.startswith("9999") and bsn_is_valid(b) for b in pool)


def test_his_numbers_are_unique_and_equal_the_patient_id(large_bundle):
    patients = _resources(large_bundle, "Patient")
    numbers = [_identifier(p, HIS_PATIENT_SYSTEM) for p in patients]
    assert numbers == [p["id"] for p in patients]
    assert numbers == [f"b-{n:04d}" for n in range(1, 1501)]
    ids = [r["id"] for r in _resources(large_bundle)]
    assert len(set(ids)) == len(ids)
    full_urls = [e["fullUrl"] for e in large_bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)


def test_without_a_prefix_the_numbers_are_bare():
    bundle = generate_bundle(patients=3, seed=1, practice_agb="01009999")
    assert [p["id"] for p in _resources(bundle, "Patient")] == ["0001", "0002", "0003"]


def test_every_reference_is_the_urn_uuid_of_its_patients_entry(large_bundle):
    """The Bundle rules: with urn:uuid fullUrls a reference resolves only if it equals the
    fullUrl of an entry; ``Patient/<id>`` would not resolve."""
    patients = _patients_by_full_url(large_bundle)
    assert all(url.startswith("urn:uuid:") for url in patients)
    referenced = set()
    for resource in _resources(large_bundle):
        kind = resource["resourceType"]
        if kind == "Patient":
            continue
        if kind == "AllergyIntolerance":
            assert "subject" not in resource
            reference = resource["patient"]["reference"]
        else:
            reference = resource["subject"]["reference"]
        assert reference.startswith("urn:uuid:")
        assert reference in patients, "the reference must be a Patient entry's fullUrl"
        assert resource["id"].startswith(patients[reference] + "-")
        referenced.add(reference)
    assert len(referenced) > 0.95 * len(patients)
    assert '"Patient/' not in dumps_bundle(large_bundle)


def test_names_addresses_and_phones_look_dutch(large_bundle):
    genders = Counter()
    for patient in _resources(large_bundle, "Patient"):
        (name,) = patient["name"]
        assert name["use"] == "official"
        assert 1 <= len(name["given"]) <= 2
        extensions = {e["url"]: e["valueString"] for e in name["_family"]["extension"]}
        own = extensions[OWN_NAME_URL]
        prefix = extensions.get(OWN_PREFIX_URL)
        assert name["family"] == (f"{prefix} {own}" if prefix else own)
        assert prefix in (None, "de", "van", "van der", "van den", "ter")
        # nl-core: given names are first names (BR), the name is the own name only (NL1).
        assert name["_given"] == [
            {"extension": [{"url": EN_QUALIFIER_URL, "valueCode": "BR"}]} for _ in name["given"]
        ]
        assert name["extension"] == [{"url": ASSEMBLY_ORDER_URL, "valueCode": "NL1"}]
        assert name["text"] == " ".join([*name["given"], name["family"]])
        (address,) = patient["address"]
        assert address["use"] == "home" and address["country"] == "NL"
        assert address["postalCode"][0] in "89"
        assert len(address["postalCode"]) == 7 and address["postalCode"][4] == " "
        phones = patient["telecom"]
        assert phones[0]["use"] == "mobile" and phones[0]["value"].startswith("06 ")
        assert len(phones[0]["value"].replace(" ", "")) == 10
        for phone in phones[1:]:
            assert phone["use"] == "home"
            assert len(phone["value"].replace(" ", "").replace("-", "")) == 10
        assert patient.get("deceasedBoolean", False) is False
        genders[patient["gender"]] += 1
    assert genders["female"] + genders["male"] > 0.98 * 1500
    assert set(genders) <= {"female", "male", "other", "unknown"}


# --- Clinical content ----------------------------------------------------------------------------


def test_counts_per_patient_are_as_specified(large_bundle):
    patients = _patients_by_full_url(large_bundle)
    per_patient = defaultdict(Counter)
    for resource in _resources(large_bundle):
        per_patient[_owner(resource, patients)][resource["resourceType"]] += 1
    assert len(per_patient) == 1500

    def column(kind):
        return [counts[kind] for counts in per_patient.values()]

    assert max(column("Condition")) <= MAX_EPISODES
    assert max(column("MedicationStatement")) <= MAX_MEDICATIONS
    assert max(column("AllergyIntolerance")) <= 2
    assert max(column("Observation")) <= MAX_OBSERVATIONS
    assert 2.0 <= statistics.mean(column("Condition")) <= 3.0
    assert 2.4 <= statistics.mean(column("MedicationStatement")) <= 3.5
    assert 0.3 <= statistics.mean(column("AllergyIntolerance")) <= 0.5
    assert 0.25 <= sum(1 for n in column("AllergyIntolerance") if n) / 1500 <= 0.35
    assert 6.5 <= statistics.mean(column("Observation")) <= 10


def test_ages_are_skewed_to_chronic_care(large_bundle):
    ages = [
        (REFERENCE_DATE - date.fromisoformat(p["birthDate"])).days / 365.25
        for p in _resources(large_bundle, "Patient")
    ]
    assert all(16 <= age <= 102 for age in ages)
    assert sum(1 for age in ages if 45 <= age <= 95) / len(ages) > 0.75


def test_codes_are_from_the_right_systems(large_bundle):
    for condition in _resources(large_bundle, "Condition"):
        (coding,) = condition["code"]["coding"]
        assert coding["system"] == ICPC1NL_SYSTEM
        assert ICPC1NL_CODE.fullmatch(coding["code"])
        if "." in coding["code"]:
            assert VERIFIED_SUBCODES[coding["code"]] == coding["display"]
        assert condition["code"]["text"] == coding["display"]
        status = condition["clinicalStatus"]["coding"][0]["code"]
        assert status in ("active", "resolved")
        assert ("abatementDateTime" in condition) == (status == "resolved")
    for statement in _resources(large_bundle, "MedicationStatement"):
        (coding,) = statement["medicationCodeableConcept"]["coding"]
        assert coding["system"] == ATC_SYSTEM
        assert statement["status"] in ("active", "completed")
        assert ("end" in statement["effectivePeriod"]) == (statement["status"] == "completed")
        assert statement["dosage"][0]["text"]
    for allergy in _resources(large_bundle, "AllergyIntolerance"):
        assert allergy["type"] in ("allergy", "intolerance")
        assert allergy["criticality"] in ("high", "low")
        assert allergy["category"] == ["medication"]
        assert allergy["code"]["text"]
    loinc_by_name = {m.name: m.loinc for m in MEASUREMENTS.values()}
    for observation in _resources(large_bundle, "Observation"):
        measured = [observation, *observation.get("component", [])]
        for part in measured:
            codings = part["code"]["coding"]
            systems = [c["system"] for c in codings]
            assert LOINC_SYSTEM in systems
            loinc = next(c["code"] for c in codings if c["system"] == LOINC_SYSTEM)
            assert loinc == loinc_by_name[part["code"]["text"]]
            for coding in codings:
                if coding["system"] == NHG_TABLE_45_SYSTEM:
                    assert coding["code"] in VERIFIED_NHG
        for part in observation.get("component") or [observation]:  # where the values are
            assert part["valueQuantity"]["system"] == "http://unitsofmeasure.org"


def test_episodes_carry_icpc1nl_subcodes_where_the_nhg_has_them(large_bundle):
    codes = Counter(_icpc(c) for c in _resources(large_bundle, "Condition"))
    assert codes["T90.02"] > 50 and codes["K90.03"] > 5
    assert not codes["T90"] and not codes["K90"], "diabetes and stroke always get the subcode"
    assert codes["K86"] > 50, "no subcode where none was confirmed: the plain code"
    assert not {code for code in codes if "." in code} - set(VERIFIED_SUBCODES)


def test_blood_pressure_is_one_observation_with_two_components(large_bundle):
    pressures = [
        o
        for o in _resources(large_bundle, "Observation")
        if o["code"]["coding"] == [{"system": LOINC_SYSTEM, "code": "85354-9"}]
    ]
    assert len(pressures) > 1000
    for observation in pressures:
        assert observation["code"]["text"] == "Bloeddruk"
        assert observation["meta"] == {"profile": [NL_CORE + "nl-core-BloodPressure"]}
        assert observation["category"][0]["coding"][0]["code"] == "vital-signs"
        assert "valueQuantity" not in observation
        systolic, diastolic = observation["component"]
        loinc = [
            next(c["code"] for c in part["code"]["coding"] if c["system"] == LOINC_SYSTEM)
            for part in (systolic, diastolic)
        ]
        assert loinc == ["8480-6", "8462-4"]
        for part in (systolic, diastolic):
            assert part["valueQuantity"]["code"] == "mm[Hg]"
        assert systolic["valueQuantity"]["value"] > diastolic["valueQuantity"]["value"]
    # No separate systolic or diastolic Observations any more.
    texts = {o["code"]["text"] for o in _resources(large_bundle, "Observation")}
    assert not texts & {"Systolische bloeddruk", "Diastolische bloeddruk"}


def test_nl_core_profiles_are_claimed_where_the_resource_meets_them(demo_bundle):
    for resource in _resources(demo_bundle):
        profiles = resource.get("meta", {}).get("profile")
        kind = resource["resourceType"]
        if kind == "Patient":
            assert profiles == [NL_CORE + "nl-core-Patient"]
        elif kind == "Condition":
            assert profiles == [NL_CORE + "nl-core-Problem"]
        elif kind == "Observation" and "component" in resource:
            assert profiles == [NL_CORE + "nl-core-BloodPressure"]
        else:
            assert profiles is None, kind


def test_dates_are_consistent_and_in_the_past(large_bundle):
    patients = _patients_by_full_url(large_bundle)
    cutoff = datetime.fromisoformat(BUNDLE_TIMESTAMP)
    births = {
        p["id"]: date.fromisoformat(p["birthDate"]) for p in _resources(large_bundle, "Patient")
    }
    for condition in _resources(large_bundle, "Condition"):
        onset = date.fromisoformat(condition["onsetDateTime"])
        assert births[_owner(condition, patients)] <= onset < REFERENCE_DATE
        if "abatementDateTime" in condition:
            assert onset <= date.fromisoformat(condition["abatementDateTime"]) < REFERENCE_DATE
    for statement in _resources(large_bundle, "MedicationStatement"):
        period = statement["effectivePeriod"]
        start = date.fromisoformat(period["start"])
        assert births[_owner(statement, patients)] <= start < REFERENCE_DATE
        if "end" in period:
            assert start <= date.fromisoformat(period["end"]) < REFERENCE_DATE
    for observation in _resources(large_bundle, "Observation"):
        moment = datetime.fromisoformat(observation["effectiveDateTime"])
        assert observation["effectiveDateTime"].endswith(":00+01:00")
        assert cutoff.replace(year=cutoff.year - 3) < moment < cutoff


def test_medication_is_consistent_with_episodes_and_contra_indications(large_bundle):
    patients = _patients_by_full_url(large_bundle)
    episodes, drugs, avoid = defaultdict(set), defaultdict(set), defaultdict(set)
    for condition in _resources(large_bundle, "Condition"):
        if condition["clinicalStatus"]["coding"][0]["code"] == "active":
            episodes[_owner(condition, patients)].add(_icpc(condition)[:3])  # T90.02 is a T90
    for statement in _resources(large_bundle, "MedicationStatement"):
        if statement["status"] == "active":
            drugs[_owner(statement, patients)].add(
                statement["medicationCodeableConcept"]["coding"][0]["code"]
            )
    for allergy in _resources(large_bundle, "AllergyIntolerance"):
        avoid[_owner(allergy, patients)].add(allergy["code"]["text"])
    for pid, atc in drugs.items():
        if "A10BA02" in atc or "A10BB09" in atc or "A10AE04" in atc:
            assert "T90" in episodes[pid]
        if {"R03BB04", "R03AK06"} & atc:
            assert {"R95", "R96"} & episodes[pid]
        if "B01AF02" in atc:
            assert "K78" in episodes[pid]
        if "C03CA01" in atc:
            assert "K77" in episodes[pid]
        assert not ({"C09AA02", "C09CA01"} <= atc), "never two RAS inhibitors at once"
        if "Penicilline" in avoid[pid]:
            assert not any(code.startswith("J01C") for code in atc)
        if "NSAID's" in avoid[pid]:
            assert not any(code.startswith("M01A") for code in atc)
        if "ACE-remmers (prikkelhoest)" in avoid[pid]:
            assert "C09AA02" not in atc
    diabetics = [pid for pid, codes in episodes.items() if "T90" in codes]
    assert diabetics
    with_hba1c = {
        _owner(o, patients)
        for o in _resources(large_bundle, "Observation")
        if o["code"]["coding"][-1]["code"] == "59261-8"
    }
    assert len(with_hba1c & set(diabetics)) > 0.8 * len(diabetics)


def test_too_many_patients_for_the_test_range_is_refused():
    with pytest.raises(ValueError, match="BSN test range"):
        generate_bundle(patients=10_000, seed=1, practice_agb="01009999")


# --- The committed demo files --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "arguments"), DEMO_FILES.items())
def test_committed_demo_files_equal_what_the_generator_makes_now(name, arguments, tmp_path):
    written = tmp_path / name
    write_bundle(generate_bundle(**arguments), written)
    assert written.read_bytes() == (FIXTURES / name).read_bytes(), (
        f"{name} is out of date: regenerate it with manage.py generate_extraction "
        f"--patients {arguments['patients']} --seed {arguments['seed']} "
        f"--practice-agb {arguments['practice_agb']} --id-prefix {arguments['id_prefix']} "
        f"--out network/fixtures/extractions/{name}"
    )


def test_demo_files_do_not_share_bsns():
    bsns = [
        {_identifier(p, BSN_SYSTEM) for p in _resources(_load(name), "Patient")}
        for name in DEMO_FILES
    ]
    assert not bsns[0] & bsns[1]


FIXED = [
    # file, id, given, infix, own name, gender, born, episodes, drugs (ATC), contra-indications
    ("terp.json", "terp-0001", "Geertje", "van der", "Meer", "female", "1941-03-14",
     {"R95", "K77"}, {"C03CA01", "R03BB04"}, {"Penicilline"}),
    ("terp.json", "terp-0002", "Sjoerd", None, "Dijkstra", "male", "1956-08-02",
     {"T90.02", "K86"}, {"A10BA02", "A10BB09", "C09AA02", "C10AA01"}, set()),
    ("terp.json", "terp-0003", "Tjitske", None, "Bakker", "female", "1938-11-23",
     {"P70", "L90"}, {"N02BE01"}, set()),
    ("terp.json", "terp-0004", "Hendrik", None, "Visser", "male", "1949-05-30",
     {"K78", "K86"}, {"B01AF02", "C07AB02"}, {"NSAID's"}),
    ("wad.json", "wad-0001", "Anna", "de", "Boer", "female", "1945-02-11",
     {"T90.02", "R95"}, {"A10BA02"}, set()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "pid", "given", "infix", "own", "gender", "born", "icpc", "atc", "avoid"), FIXED
)
def test_fixed_demo_patients_are_present(
    name, pid, given, infix, own, gender, born, icpc, atc, avoid
):
    bundle = _load(name)
    patient = _patient(bundle, pid)
    (official,) = patient["name"]
    assert official["given"] == [given]
    assert official["family"] == (f"{infix} {own}" if infix else own)
    extensions = {e["url"]: e["valueString"] for e in official["_family"]["extension"]}
    assert extensions.get(OWN_PREFIX_URL) == infix
    assert extensions[OWN_NAME_URL] == own
    assert patient["gender"] == gender
    assert patient["birthDate"] == born
    bsn = _identifier(patient, BSN_SYSTEM)
    assert bsn.startswith("9999") and bsn_is_valid(bsn)
    episodes = {_icpc(c) for c in _of(bundle, pid, "Condition")}
    assert icpc <= episodes
    drugs = {
        m["medicationCodeableConcept"]["coding"][0]["code"]
        for m in _of(bundle, pid, "MedicationStatement")
        if m["status"] == "active"
    }
    assert atc <= drugs
    assert {a["code"]["text"] for a in _of(bundle, pid, "AllergyIntolerance")} == avoid


def test_fixed_demo_patients_have_their_measurements():
    bundle = _load("terp.json")

    def measured(pid):
        return {o["code"]["text"] for o in _of(bundle, pid, "Observation")}

    assert {"Gewicht", "Zuurstofsaturatie"} <= measured("terp-0001")
    assert {"HbA1c (IFCC)", "Bloeddruk", "eGFR (CKD-EPI)", "LDL-cholesterol"} <= (
        measured("terp-0002")
    )


def test_fixed_patients_keep_their_bsn():
    terp = _load("terp.json")
    assert _identifier(_patient(terp, "terp-0001"), BSN_SYSTEM) == "999900171"
    assert _identifier(_patient(_load("wad.json"), "wad-0001"), BSN_SYSTEM) == "999902064"


# --- Writing and the command ---------------------------------------------------------------------


def test_write_bundle_writes_compact_utf8(tmp_path):
    bundle = generate_bundle(patients=40, seed=1, practice_agb="01001234", id_prefix="terp-")
    path = tmp_path / "out.json"
    write_bundle(bundle, path)
    raw = path.read_bytes()
    assert json.loads(raw.decode("utf-8")) == bundle
    assert b'{"resourceType":"Bundle",' in raw  # no spaces after separators
    assert b"\n" not in raw[:-1] and raw.endswith(b"\n")
    assert "Hypothyreoïdie".encode() in raw or "ë".encode() in raw or "ï".encode() in raw
    assert b"\\u00" not in raw  # no ASCII escapes


def test_resource_counts():
    bundle = generate_bundle(patients=10, seed=4, practice_agb="01009999")
    counts = resource_counts(bundle)
    assert list(counts) == [
        "Patient",
        "Condition",
        "MedicationStatement",
        "AllergyIntolerance",
        "Observation",
    ]
    assert counts["Patient"] == 10
    assert sum(counts.values()) == len(bundle["entry"])


def test_command_writes_the_file_and_reports_in_dutch(tmp_path):
    out = tmp_path / "sub" / "wad.json"
    stdout = io.StringIO()
    call_command(
        "generate_extraction",
        "--patients=25",
        "--seed=2",
        "--practice-agb=01005678",
        "--id-prefix=wad-",
        f"--out={out}",
        stdout=stdout,
    )
    assert out.read_bytes() == (FIXTURES / "wad.json").read_bytes()
    line = stdout.getvalue().strip()
    assert "\n" not in line
    counts = resource_counts(_load("wad.json"))
    assert f"{counts['Patient']} patiënten" in line
    assert f"{counts['Condition']} episodes" in line
    assert f"{counts['Observation']} metingen" in line
    assert "kB" in line


def test_command_can_write_to_stdout():
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "generate_extraction",
        "--patients=3",
        "--practice-agb=01009999",
        "--out=-",
        stdout=stdout,
        stderr=stderr,
    )
    bundle = json.loads(stdout.getvalue())
    assert resource_counts(bundle)["Patient"] == 3
    assert "3 patiënten" in stderr.getvalue()


def test_command_refuses_a_bad_agb_code(tmp_path):
    with pytest.raises(CommandError, match="8 digits"):
        call_command(
            "generate_extraction", "--patients=1", "--practice-agb=123", f"--out={tmp_path / 'x'}"
        )
