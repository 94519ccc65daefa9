"""Home measurements go to the HIS with the same NHG table-45 numbers the extraction (the HIS's
own data, tools/extraction) uses: blood pressure 1744 (RRSY) and 1740 (RRDI). Only numbers that
were cross-checked are used; every other kind carries LOINC alone."""

from __future__ import annotations

from questionnaires.models import KINDS, MeasurementKind
from tools.extraction.terminology import MEASUREMENTS


def test_blood_pressure_components_carry_the_extractions_nhg_numbers():
    spec = KINDS[MeasurementKind.BLOOD_PRESSURE]
    assert (spec.loinc, spec.nhg) == (MEASUREMENTS["sys"].loinc, MEASUREMENTS["sys"].nhg)
    assert (spec.loinc2, spec.nhg2) == (MEASUREMENTS["dia"].loinc, MEASUREMENTS["dia"].nhg)
    assert (spec.nhg, spec.nhg2) == ("1744", "1740")


def test_no_kind_carries_an_nhg_number_the_extraction_does_not_use():
    used = {m.nhg for m in MEASUREMENTS.values() if m.nhg}
    for kind, spec in KINDS.items():
        for number in (spec.nhg, spec.nhg2):
            assert not number or number in used, f"{kind}: NHG {number} was not cross-checked"


def test_weight_carries_its_nhg_number_too():
    spec = KINDS[MeasurementKind.WEIGHT]
    assert (spec.loinc, spec.nhg) == (MEASUREMENTS["weight"].loinc, MEASUREMENTS["weight"].nhg)
