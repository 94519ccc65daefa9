"""Scoring a questionnaire: pure functions over plain definitions, no database.

A :class:`Definition` is what the library holds about one questionnaire (items, their answer
options with scores, their conditions, the scoring rules with cut-offs); ``answers`` maps an
item's linkId to its answer (an option code for a choice, a number, a text, true/false).

The rules, as the instruments' manuals state them:

- An item hidden by its conditions (FHIR ``enableWhen``) is not asked: not required, and not
  scored even when an answer for it was sent along (a changed earlier answer hides it again).
- Only scored items count (PHQ-9's question about difficulty in daily life is asked but not
  scored). A reverse item scores ``lowest + highest - value`` over its options' scores.
- A rule sums or averages the scored items of its subscale (or all of them). With fewer
  answered than ``min_answered`` (by default: every enabled scored item) there is no score —
  never a silently low one.
- The interpretation is the cut-off with the highest minimum at or below the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Condition:
    question: str
    operator: str  # "=", "!=", ">", "<", ">=", "<=", "exists"
    answer: str


@dataclass(frozen=True)
class Option:
    code: str
    display: str
    value: Decimal | None = None
    system: str = ""


@dataclass(frozen=True)
class ItemDef:
    link_id: str
    text: str
    type: str = "choice"  # choice, integer, decimal, string, boolean, display
    required: bool = True
    scored: bool = True
    reverse: bool = False
    subscale: str = ""
    options: tuple[Option, ...] = ()
    conditions: tuple[Condition, ...] = ()
    enable_behavior: str = "all"
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    code: str = ""  # LOINC, where the instrument has one

    @property
    def answerable(self) -> bool:
        return self.type != "display"

    def option(self, code) -> Option | None:
        return next((o for o in self.options if o.code == str(code)), None)


@dataclass(frozen=True)
class Cutoff:
    minimum: Decimal
    interpretation: str
    flagged: bool = False


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    method: str = "sum"  # sum or mean
    subscale: str = ""
    min_answered: int | None = None
    decimals: int = 0
    cutoffs: tuple[Cutoff, ...] = ()
    loinc_code: str = ""


@dataclass(frozen=True)
class Definition:
    items: tuple[ItemDef, ...]
    rules: tuple[Rule, ...] = ()

    def item(self, link_id: str) -> ItemDef | None:
        return next((i for i in self.items if i.link_id == link_id), None)


@dataclass(frozen=True)
class Score:
    code: str
    label: str
    value: Decimal | None
    interpretation: str = ""
    flagged: bool = False
    answered: int = 0
    expected: int = 0

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "value": None if self.value is None else str(self.value),
            "interpretation": self.interpretation,
            "flagged": self.flagged,
        }


@dataclass
class Checked:
    """Answers checked against a definition: the clean answers of enabled items, and per
    linkId the Dutch error to show beside the question."""

    answers: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def plain(value: Decimal) -> str:
    """A number as a person writes it: 80, 2.5 (not 80.00)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- conditions -----------------------------------------------------------------------------


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(given, operator: str, expected: str) -> bool:
    if operator == "exists":
        present = given is not None and given != ""
        return present == (str(expected).lower() in ("true", "1", "ja"))
    if given is None or given == "":
        return False  # an unanswered question enables nothing but "exists = false"
    if isinstance(given, bool) or str(expected).lower() in ("true", "false"):
        left, right = str(given).lower(), str(expected).lower()
    else:
        left_number, right_number = _number(given), _number(expected)
        if operator in ("=", "!=") or left_number is None or right_number is None:
            left, right = str(given), str(expected)
            if left_number is not None and right_number is not None:
                left, right = left_number, right_number
        else:
            left, right = left_number, right_number
    match operator:
        case "=":
            return left == right
        case "!=":
            return left != right
        case ">":
            return left > right
        case "<":
            return left < right
        case ">=":
            return left >= right
        case "<=":
            return left <= right
    return False


def _enabled(item: ItemDef, answers: dict) -> bool:
    if not item.conditions:
        return True
    results = [_compare(answers.get(c.question), c.operator, c.answer) for c in item.conditions]
    return any(results) if item.enable_behavior == "any" else all(results)


def enabled_items(definition: Definition, answers: dict) -> list[ItemDef]:
    """The items shown for these answers, in order. An item whose condition refers to a hidden
    item sees that item as unanswered (so hiding cascades)."""
    shown: list[ItemDef] = []
    visible_answers: dict = {}
    for item in definition.items:
        if not _enabled(item, visible_answers):
            continue
        shown.append(item)
        if item.link_id in answers:
            visible_answers[item.link_id] = answers[item.link_id]
    return shown


# --- checking answers -----------------------------------------------------------------------


def _clean(item: ItemDef, raw) -> tuple[object, str]:
    """(clean value, Dutch error) for one given answer."""
    if item.type == "choice":
        option = item.option(raw)
        if option is None:
            return None, _("Choose one of the answers.")
        return option.code, ""
    if item.type in ("integer", "decimal"):
        number = _number(raw)
        if number is None or (item.type == "integer" and number != number.to_integral_value()):
            return None, (
                _("Enter a whole number.") if item.type == "integer" else _("Enter a number.")
            )
        if item.min_value is not None and number < item.min_value:
            return None, _("Enter a number of at least %(min)s.") % {"min": plain(item.min_value)}
        if item.max_value is not None and number > item.max_value:
            return None, _("Enter a number of at most %(max)s.") % {"max": plain(item.max_value)}
        return (int(number) if item.type == "integer" else str(number)), ""
    if item.type == "boolean":
        if str(raw).lower() in ("true", "1", "ja", "yes"):
            return True, ""
        if str(raw).lower() in ("false", "0", "nee", "no"):
            return False, ""
        return None, _("Choose yes or no.")
    text = str(raw).strip()
    if len(text) > 2000:
        return None, _("Use at most 2000 characters.")
    return text, ""


def answers_check(definition: Definition, raw: dict, *, complete: bool = True) -> Checked:
    """Clean ``raw`` answers in the questions' order, each condition judged on the clean answers
    before it: only enabled items are kept; a required enabled item left empty is an error when
    ``complete`` (submitting), not when saving halfway."""
    checked = Checked()
    given = {k: v for k, v in raw.items() if v is not None and v != "" and v != []}
    for item in definition.items:
        if not item.answerable or not _enabled(item, checked.answers):
            continue
        if item.link_id not in given:
            if complete and item.required:
                checked.errors[item.link_id] = _("Answer this question.")
            continue
        value, error = _clean(item, given[item.link_id])
        if error:
            checked.errors[item.link_id] = error
        else:
            checked.answers[item.link_id] = value
    return checked


# --- scoring --------------------------------------------------------------------------------


def item_value(item: ItemDef, answer) -> Decimal | None:
    """The score one answer contributes (reverse items turned around), or None."""
    if item.type == "choice":
        option = item.option(answer)
        if option is None or option.value is None:
            return None
        value = option.value
        if item.reverse:
            values = [o.value for o in item.options if o.value is not None]
            value = min(values) + max(values) - value
        return value
    if item.type in ("integer", "decimal"):
        value = _number(answer)
        if value is not None and item.reverse and None not in (item.min_value, item.max_value):
            value = item.min_value + item.max_value - value
        return value
    if item.type == "boolean" and isinstance(answer, bool):
        value = Decimal(1 if answer else 0)
        return Decimal(1) - value if item.reverse else value
    return None


def interpret(value: Decimal | None, cutoffs) -> tuple[str, bool]:
    """The interpretation and flag of the highest cut-off at or below ``value``."""
    if value is None:
        return "", False
    reached = [c for c in cutoffs if value >= c.minimum]
    if not reached:
        return "", False
    best = max(reached, key=lambda c: c.minimum)
    return best.interpretation, best.flagged


def rule_score(definition: Definition, rule: Rule, answers: dict) -> Score:
    enabled = enabled_items(definition, answers)
    counted = [
        i
        for i in enabled
        if i.scored and i.answerable and (not rule.subscale or i.subscale == rule.subscale)
    ]
    values = [v for i in counted if (v := item_value(i, answers.get(i.link_id))) is not None]
    needed = len(counted) if rule.min_answered is None else rule.min_answered
    value = None
    if values and len(values) >= needed:
        total = sum(values, Decimal(0))
        value = total / len(values) if rule.method == "mean" else total
        step = Decimal(1).scaleb(-rule.decimals)
        value = value.quantize(step, rounding=ROUND_HALF_UP)
    interpretation, flagged = interpret(value, rule.cutoffs)
    return Score(
        code=rule.code,
        label=rule.label,
        value=value,
        interpretation=interpretation,
        flagged=flagged,
        answered=len(values),
        expected=len(counted),
    )


def score(definition: Definition, answers: dict) -> list[Score]:
    """Every rule's score for these answers, in the rules' order."""
    return [rule_score(definition, rule, answers) for rule in definition.rules]
