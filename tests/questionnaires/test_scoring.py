"""Scoring per shipped instrument, against worked examples, and the engine's rules
(conditional items, reverse items, subscales, means, missing answers)."""

from decimal import Decimal

import pytest

from questionnaires.library_fhir import questionnaire_parse
from questionnaires.library_services import instrument_resource
from questionnaires.scoring import (
    Condition,
    Cutoff,
    Definition,
    ItemDef,
    Option,
    Rule,
    answers_check,
    enabled_items,
    score,
)


def _definition(slug):
    return questionnaire_parse(instrument_resource(slug)).definition


def _scores(slug, answers):
    return {s.code: s for s in score(_definition(slug), answers)}


PHQ = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # 0, 1, 2, 3


def _phq(values, **extra):
    return {str(n): PHQ[v] for n, v in enumerate(values, 1)} | extra


# --- PHQ-9 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "interpretation", "flagged"),
    [
        ([0] * 9, 0, "Geen of minimale depressieve klachten", False),
        ([1] * 9, 9, "Lichte depressieve klachten", False),
        ([1] * 8 + [2], 10, "Matige depressieve klachten", True),
        ([2, 2, 2, 2, 2, 2, 1, 1, 1], 15, "Matig ernstige depressieve klachten", True),
        ([3, 3, 3, 3, 3, 2, 2, 1, 0], 20, "Ernstige depressieve klachten", True),
        ([3] * 9, 27, "Ernstige depressieve klachten", True),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "Geen of minimale depressieve klachten", False),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "Lichte depressieve klachten", False),
    ],
)
def test_phq9_total_and_interpretation_at_every_cutoff(values, total, interpretation, flagged):
    result = _scores("phq-9", _phq(values))["totaal"]
    assert result.value == total
    assert result.interpretation == interpretation
    assert result.flagged is flagged


def test_phq9_difficulty_question_is_asked_after_a_complaint_but_not_scored():
    answers = _phq([1] * 9, **{"10": "LA6574-3"})  # extremely difficult
    assert "10" in {i.link_id for i in enabled_items(_definition("phq-9"), answers)}
    assert _scores("phq-9", answers)["totaal"].value == 9


def test_phq9_difficulty_question_is_hidden_and_not_required_without_complaints():
    definition = _definition("phq-9")
    answers = _phq([0] * 9)
    assert "10" not in {i.link_id for i in enabled_items(definition, answers)}
    checked = answers_check(definition, answers | {"10": "LA6574-3"})
    assert checked.errors == {}
    assert "10" not in checked.answers  # a hidden question's answer is dropped


def test_phq9_difficulty_question_is_required_once_shown():
    checked = answers_check(_definition("phq-9"), _phq([0] * 8 + [1]))
    assert checked.errors == {"10": "Beantwoord deze vraag."}


def test_phq9_item_9_is_flagged_on_its_own_even_with_a_low_total():
    scores = _scores("phq-9", _phq([0] * 8 + [1]))
    assert scores["totaal"].value == 1 and not scores["totaal"].flagged
    assert scores["vraag9"].flagged
    assert "vraag 9" in scores["vraag9"].interpretation


def test_phq9_without_all_nine_answers_has_no_score_and_says_what_is_missing():
    answers = _phq([1] * 8)
    assert _scores("phq-9", answers)["totaal"].value is None
    checked = answers_check(_definition("phq-9"), answers)
    assert checked.errors["9"] == "Beantwoord deze vraag."


# --- GAD-7 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "total", "interpretation", "flagged"),
    [
        ([0] * 7, 0, "Geen of minimale angstklachten", False),
        ([1, 1, 1, 1, 0, 0, 0], 4, "Geen of minimale angstklachten", False),
        ([1, 1, 1, 1, 1, 0, 0], 5, "Lichte angstklachten", False),
        ([1] * 7, 7, "Lichte angstklachten", False),
        ([2, 2, 2, 1, 1, 1, 1], 10, "Matige angstklachten", True),
        ([3, 3, 3, 2, 2, 1, 1], 15, "Ernstige angstklachten", True),
        ([3] * 7, 21, "Ernstige angstklachten", True),
    ],
)
def test_gad7_total_and_interpretation_at_every_cutoff(values, total, interpretation, flagged):
    answers = {str(n): PHQ[v] for n, v in enumerate(values, 1)}
    result = _scores("gad-7", answers)["totaal"]
    assert (result.value, result.interpretation, result.flagged) == (
        total,
        interpretation,
        flagged,
    )


def test_gad7_difficulty_question_is_not_scored():
    answers = {str(n): PHQ[3] for n in range(1, 8)} | {"8": "LA6574-3"}
    assert _scores("gad-7", answers)["totaal"].value == 21


# --- MRC ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "flagged", "words"),
    [
        (1, False, "alleen kortademig bij zware inspanning"),
        (2, False, "haasten"),
        (3, True, "langzamer dan leeftijdgenoten"),
        (4, True, "100 meter"),
        (5, True, "huis uit"),
    ],
)
def test_mrc_grade_is_the_chosen_statement(grade, flagged, words):
    result = _scores("mrc-dyspnoe", {"1": str(grade)})["graad"]
    assert result.value == grade
    assert result.interpretation.startswith(f"MRC-graad {grade}:")
    assert words in result.interpretation
    assert result.flagged is flagged


def test_mrc_unknown_answer_is_refused_in_dutch():
    checked = answers_check(_definition("mrc-dyspnoe"), {"1": "6"})
    assert checked.errors == {"1": "Kies een van de antwoorden."}


# --- GFI ------------------------------------------------------------------------------------

ROBUST = {
    **{str(n): "ja" for n in range(1, 5)},  # manages shopping, walking, dressing, toilet
    "5": "8",  # fitness mark 8
    **{str(n): "nee" for n in range(6, 16)},
}


def test_gfi_robust_older_person_scores_zero():
    scores = _scores("gfi", ROBUST)
    assert scores["totaal"].value == 0
    assert scores["totaal"].interpretation == "Niet kwetsbaar"


def test_gfi_worked_example_frail_at_four_with_subscales():
    # Needs help shopping (1), fitness mark 6 (1), memory: sometimes (0), misses people:
    # sometimes (1), downhearted: yes (1) → 4: frail.
    answers = ROBUST | {"1": "nee", "5": "6", "10": "soms", "12": "soms", "14": "ja"}
    scores = _scores("gfi", answers)
    assert scores["totaal"].value == 4
    assert scores["totaal"].interpretation == "Kwetsbaar (GFI 4 of hoger)"
    assert scores["totaal"].flagged
    assert (scores["lichamelijk"].value, scores["cognitief"].value) == (2, 0)
    assert scores["psychosociaal"].value == 2


def test_gfi_three_is_not_yet_frail_and_memory_yes_counts():
    answers = ROBUST | {"9": "ja", "10": "ja", "11": "ja"}
    result = _scores("gfi", answers)["totaal"]
    assert (result.value, result.flagged) == (3, False)


def test_gfi_maximum_is_fifteen():
    answers = {str(n): "nee" for n in range(1, 5)} | {"5": "0"}
    answers |= {str(n): "ja" for n in range(6, 16)}
    assert _scores("gfi", answers)["totaal"].value == 15


# --- the engine -----------------------------------------------------------------------------

FOUR = tuple(Option(str(n), str(n), Decimal(n)) for n in range(5))  # 0..4


def _engine():
    items = (
        ItemDef("a", "A", options=FOUR, subscale="x"),
        ItemDef("b", "B", options=FOUR, subscale="x", reverse=True),
        ItemDef("c", "C", options=FOUR, subscale="y"),
        ItemDef("smokes", "Rookt u?", type="boolean", scored=False),
        ItemDef(
            "cigarettes",
            "Hoeveel per dag?",
            type="integer",
            scored=False,
            min_value=Decimal(1),
            max_value=Decimal(80),
            conditions=(Condition("smokes", "=", "true"),),
        ),
        ItemDef(
            "d",
            "D",
            options=FOUR,
            subscale="y",
            conditions=(Condition("cigarettes", ">=", "20"),),
        ),
    )
    rules = (
        Rule("total", "Totaal"),
        Rule("x", "X", method="mean", subscale="x", decimals=1),
        Rule(
            "y",
            "Y",
            subscale="y",
            cutoffs=(Cutoff(Decimal(0), "laag"), Cutoff(Decimal(6), "hoog", True)),
        ),
        Rule("lenient", "Ruim", min_answered=2),
    )
    return Definition(items=items, rules=rules)


def test_reverse_item_scores_the_other_way_round_and_mean_is_rounded():
    scores = {s.code: s for s in score(_engine(), {"a": "4", "b": "1", "c": "0", "smokes": False})}
    assert scores["x"].value == Decimal("3.5")  # (4 + (4 - 1)) / 2
    assert scores["total"].value == 7  # 4 + 3 + 0


def test_hidden_item_is_not_scored_even_when_an_answer_was_sent():
    answers = {"a": "0", "b": "4", "c": "4", "smokes": False, "cigarettes": 30, "d": "4"}
    scores = {s.code: s for s in score(_engine(), answers)}
    assert scores["y"].value == 4  # d hidden: the non-smoker's "cigarettes" does not count
    assert scores["y"].interpretation == "laag"


def test_conditions_cascade_and_shown_item_counts():
    answers = {"a": "0", "b": "4", "c": "4", "smokes": True, "cigarettes": 20, "d": "4"}
    scores = {s.code: s for s in score(_engine(), answers)}
    assert scores["y"].value == 8
    assert (scores["y"].interpretation, scores["y"].flagged) == ("hoog", True)
    fewer = answers | {"cigarettes": 19}
    assert "d" not in {i.link_id for i in enabled_items(_engine(), fewer)}


def test_missing_answer_gives_no_score_unless_the_rule_allows_fewer():
    scores = {s.code: s for s in score(_engine(), {"a": "1", "c": "2", "smokes": False})}
    assert scores["total"].value is None  # b missing
    assert scores["lenient"].value == 3


def test_answers_check_refuses_out_of_range_numbers_in_dutch():
    checked = answers_check(
        _engine(), {"a": "0", "b": "0", "c": "0", "smokes": "ja", "cigarettes": "900"}
    )
    assert checked.errors == {"cigarettes": "Vul een getal van hoogstens 80 in."}
    checked = answers_check(
        _engine(), {"a": "0", "b": "0", "c": "0", "smokes": "ja", "cigarettes": "veel"}
    )
    assert checked.errors == {"cigarettes": "Vul een heel getal in."}


def test_saving_halfway_needs_no_complete_answers():
    checked = answers_check(_engine(), {"a": "2"}, complete=False)
    assert checked.errors == {} and checked.answers == {"a": "2"}
