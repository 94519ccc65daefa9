"""The public API: a whole bundle for a practice, as a dict or as compact JSON text."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

from tools.extraction.measurements import random_observations
from tools.extraction.people import (
    DEMO_PATIENTS,
    RESERVED_BSNS,
    Person,
    bsns_in_test_range,
    practice_towns,
    random_person,
)
from tools.extraction.resources import bundle_entries, uuid_for
from tools.extraction.terminology import BUNDLE_TIMESTAMP


def generate_bundle(*, patients: int, seed: int, practice_agb: str, id_prefix: str = "") -> dict:
    """A synthetic HIS extraction of ``patients`` patients, as a FHIR R4 Bundle (a dict).

    The same arguments always give the same bundle. A demo practice (``DEMO_PATIENTS``)
    starts with its fixed patients; the rest are drawn from ``random.Random(seed)``.
    """
    if patients < 0:
        raise ValueError("patients must not be negative")
    fixed = [p for p in DEMO_PATIENTS.get(practice_agb, []) if p.number <= patients]
    pool = [bsn for bsn in bsns_in_test_range() if bsn not in RESERVED_BSNS]
    random_count = patients - len(fixed)
    if random_count > len(pool):
        raise ValueError(
            f"at most {len(pool) + len(fixed)} patients: the BSN test range has no more numbers"
        )
    rng = random.Random(seed)
    bsns = rng.sample(pool, random_count)
    towns, weights = practice_towns(practice_agb)

    people: list[Person] = []
    for number in range(1, patients + 1):
        if number <= len(fixed):
            person = copy.deepcopy(fixed[number - 1])
            own_rng = random.Random(f"demo:{practice_agb}:{number}")  # independent of the seed
            person.observations = random_observations(own_rng, person)
        else:
            person = random_person(rng, number, bsns[number - len(fixed) - 1], towns, weights)
            person.observations = random_observations(rng, person)
        people.append(person)

    entries: list[dict] = []
    for person in people:
        entries += bundle_entries(person, f"{id_prefix}{person.number:04d}", practice_agb)
    return {
        "resourceType": "Bundle",
        "id": uuid_for("bundle", practice_agb, seed, patients, id_prefix),
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
