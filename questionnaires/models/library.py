"""The questionnaire library (*vragenlijsten*) and the responses to it.

The helpdesk keeps the library in the admin: a :class:`Questionnaire` holds :class:`Item` rows
(questions in order, each with :class:`AnswerOption` rows carrying a score), conditions
(:class:`Condition`, FHIR ``enableWhen``: an item shown only when an earlier answer says so) and
:class:`ScoringRule` rows (sum or mean over all scored items or one subscale) with
:class:`Cutoff` rows (from this score on: this Dutch interpretation, flagged or not).

A :class:`Response` is one filled-in questionnaire about one patient: by a professional today,
later also by the patient through a link (``source``). ``client_key`` is unique, so a form sent
twice (a double click, a resend on a flaky connection) stores one response. The scores are
computed once, when the response is stored, and kept with it (``scores``; the first rule's
result also in ``score`` / ``interpretation`` / ``flagged`` for lists and trends); a later
change to the library does not rewrite what was reported.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from network.models import Patient


class Questionnaire(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("in use")
        RETIRED = "retired", _("retired")

    slug = models.SlugField(_("code"), max_length=60)
    version = models.CharField(_("version"), max_length=20, default="1")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("canonical FHIR URL"), max_length=300, blank=True)
    copyright = models.TextField(_("copyright and licence"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    loinc_code = models.CharField(_("LOINC code of the questionnaire"), max_length=20, blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["title", "version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="questionnaire_slug_version")
        ]

    def __str__(self):
        return self.title


class Item(models.Model):
    class Type(models.TextChoices):
        CHOICE = "choice", _("choice")
        INTEGER = "integer", _("whole number")
        DECIMAL = "decimal", _("number")
        STRING = "string", _("text")
        BOOLEAN = "boolean", _("yes/no")
        DISPLAY = "display", _("text only (no answer)")

    class EnableBehavior(models.TextChoices):
        ALL = "all", _("all conditions")
        ANY = "any", _("any condition")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="items")
    link_id = models.CharField(_("linkId"), max_length=40)
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.TextField(_("question"))
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.CHOICE)
    required = models.BooleanField(_("required"), default=True)
    scored = models.BooleanField(_("counts in the score"), default=True)
    reverse = models.BooleanField(_("reverse scored"), default=False)
    subscale = models.CharField(_("subscale"), max_length=40, blank=True)
    min_value = models.DecimalField(
        _("lowest value"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("highest value"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    enable_behavior = models.CharField(
        _("shown when"), max_length=3, choices=EnableBehavior.choices, default=EnableBehavior.ALL
    )
    code = models.CharField(_("LOINC code"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["questionnaire", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "link_id"], name="item_link_id")
        ]

    def __str__(self):
        return f"{self.link_id}. {self.text[:60]}"


class AnswerOption(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveIntegerField(_("order"), default=0)
    system = models.CharField(_("code system"), max_length=200, blank=True)
    code = models.CharField(_("code"), max_length=40)
    display = models.CharField(_("answer"), max_length=200)
    value = models.DecimalField(_("score"), max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["item", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="answer_option_code")]

    def __str__(self):
        return self.display


class Condition(models.Model):
    """FHIR ``enableWhen``: ``item`` is shown when the answer to ``question`` compares so."""

    class Operator(models.TextChoices):
        EQUALS = "=", "="
        NOT_EQUALS = "!=", "≠"
        GREATER = ">", ">"
        LESS = "<", "<"
        GREATER_OR_EQUAL = ">=", "≥"
        LESS_OR_EQUAL = "<=", "≤"
        EXISTS = "exists", _("answered")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="conditions")
    question = models.CharField(_("linkId of the earlier question"), max_length=40)
    operator = models.CharField(
        _("operator"), max_length=6, choices=Operator.choices, default=Operator.EQUALS
    )
    answer = models.CharField(
        _("answer"), max_length=60, help_text=_("An answer code, a number, or true/false.")
    )

    class Meta:
        verbose_name = _("condition (enableWhen)")
        verbose_name_plural = _("conditions (enableWhen)")
        ordering = ["item", "pk"]

    def __str__(self):
        return f"{self.question} {self.operator} {self.answer}"


class ScoringRule(models.Model):
    class Method(models.TextChoices):
        SUM = "sum", _("sum")
        MEAN = "mean", _("mean")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="rules")
    order = models.PositiveIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("name"), max_length=100)
    method = models.CharField(_("method"), max_length=4, choices=Method.choices, default="sum")
    subscale = models.CharField(
        _("subscale"), max_length=40, blank=True, help_text=_("Empty: all scored questions.")
    )
    min_answered = models.PositiveIntegerField(
        _("at least answered"),
        null=True,
        blank=True,
        help_text=_("Fewer answered: no score. Empty: every scored question that is shown."),
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=0)
    loinc_code = models.CharField(_("LOINC code of the score"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["questionnaire", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="scoring_rule_code")
        ]

    def __str__(self):
        return self.label


class Cutoff(models.Model):
    rule = models.ForeignKey(ScoringRule, on_delete=models.CASCADE, related_name="cutoffs")
    minimum = models.DecimalField(_("from score"), max_digits=8, decimal_places=2)
    interpretation = models.CharField(_("interpretation"), max_length=200)
    flagged = models.BooleanField(_("flag"), default=False)

    class Meta:
        verbose_name = _("cut-off")
        verbose_name_plural = _("cut-offs")
        ordering = ["rule", "minimum"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "minimum"], name="cutoff_rule_minimum")
        ]

    def __str__(self):
        return f"≥ {self.minimum}: {self.interpretation}"


class Response(models.Model):
    class Source(models.TextChoices):
        PROFESSIONAL = "professional", _("filled in by a care provider")
        PATIENT_LINK = "patient_link", _("filled in by the patient")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.PROFESSIONAL
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_key = models.UUIDField(unique=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    answers = models.JSONField(default=dict)
    scores = models.JSONField(default=list)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    interpretation = models.CharField(max_length=200, blank=True)
    flagged = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(
                fields=["patient", "questionnaire", "submitted_at"], name="response_patient_idx"
            )
        ]

    def __str__(self):
        return f"{self.questionnaire} – {self.submitted_at:%Y-%m-%d}"
