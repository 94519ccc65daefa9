"""A deterministic generator of synthetic HIS extractions (FHIR R4 Bundle, JSON).

A GP information system (HIS) hands over its patients as one FHIR ``collection`` Bundle: per
patient the Patient, then its episodes (Condition, ICPC-1-NL), medication
(MedicationStatement), allergies and contra-indications (AllergyIntolerance) and measurements
(Observation; a blood pressure is one, with systolic and diastolic components). Every entry has
a ``urn:uuid`` fullUrl and children reference their Patient by it, as nl-core bundles do. This
package makes such a bundle out of nothing, for demo extractions and for benchmarking the
import: ``generate_bundle(patients=5000, seed=1, practice_agb="01001234")``.

Everything is fictional. Names are Dutch and Frisian, towns lie in Friesland and the north of
Groningen (postal codes 8xxx/9xxx, the real ranges of those towns), BSNs come from the range
reserved for testing (they start with 9999) and pass the eleven test. Nothing reads the
database or the clock: the same arguments give byte-identical output (``random.Random(seed)``,
a fixed reference date, uuid5 identifiers).

Demo practices have fixed patients at the start of their list (``DEMO_PATIENTS``, keyed by the
practice's AGB code), so a demo script can point at "terp-0001" and find Geertje van der Meer.

The bundle layout is a contract with the importer: ``terminology`` takes its code systems from
``network.fhir``, so generator and importer cannot drift. Modules: ``terminology`` (codes and
the fixed moment), ``records`` (a patient before it becomes FHIR), ``people`` (names, towns,
BSNs, the demo patients), ``history`` (episodes, intolerances, medication), ``measurements``,
``resources`` (FHIR resources) and ``bundle`` (the public API re-exported here).
"""

from __future__ import annotations

from network.fhir import (
    ATC_SYSTEM,
    BSN_SYSTEM,
    HIS_PATIENT_SYSTEM,
    ICPC1NL_SYSTEM,
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    OWN_NAME_URL,
    OWN_PREFIX_URL,
)
from tools.extraction.bundle import dumps_bundle, generate_bundle, resource_counts, write_bundle
from tools.extraction.people import DEMO_PATIENTS, bsns_in_test_range
from tools.extraction.terminology import (
    BUNDLE_TIMESTAMP,
    MAX_EPISODES,
    MAX_MEDICATIONS,
    MAX_OBSERVATIONS,
    MEASUREMENTS,
    REFERENCE_DATE,
)

__all__ = [
    "ATC_SYSTEM",
    "BSN_SYSTEM",
    "BUNDLE_TIMESTAMP",
    "DEMO_PATIENTS",
    "HIS_PATIENT_SYSTEM",
    "ICPC1NL_SYSTEM",
    "LOINC_SYSTEM",
    "MAX_EPISODES",
    "MAX_MEDICATIONS",
    "MAX_OBSERVATIONS",
    "MEASUREMENTS",
    "NHG_TABLE_45_SYSTEM",
    "OWN_NAME_URL",
    "OWN_PREFIX_URL",
    "REFERENCE_DATE",
    "bsns_in_test_range",
    "dumps_bundle",
    "generate_bundle",
    "resource_counts",
    "write_bundle",
]
