"""The questionnaires app's models, split by topic; import them from here."""

from questionnaires.models.library import (
    AnswerOption,
    Condition,
    Cutoff,
    Item,
    Questionnaire,
    Response,
    ScoringRule,
)

__all__ = [
    "AnswerOption",
    "Condition",
    "Cutoff",
    "Item",
    "Questionnaire",
    "Response",
    "ScoringRule",
]
