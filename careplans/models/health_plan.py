"""The health plan (*gezondheidsplan*): one per patient, shared by the whole care network.

Problems (what the patient has, in words and optionally an ICPC-1-NL code) hold goals (what
matters to the patient, a target value, an evaluation date, a status); goals hold actions
(who does what by when: an owner from the care network, a due date, open / done / cancelled).
Every create and update writes a :class:`PlanChange` row (who, for which organisation, when,
what changed), so the network can read how the plan came about.

Goals and actions carry a ``version`` that each update raises: two people who opened the same
form save one after the other, and the second is told rather than silently overwriting.
Rows are never deleted (a cancelled action stays, with its history); every row has a UUID that
is its business identifier in FHIR.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from his.models import validate_icpc_code
from network.models import Patient


class HealthPlan(models.Model):
    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="health_plan", verbose_name=_("patient")
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("health plan")
        verbose_name_plural = _("health plans")

    def __str__(self):
        return f"{self.patient} – {self._meta.verbose_name}"


class _PlanPart(models.Model):
    plan = models.ForeignKey(HealthPlan, on_delete=models.PROTECT, related_name="+")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class Problem(_PlanPart):
    class Status(models.TextChoices):
        ACTIVE = "active", _("current")
        RESOLVED = "resolved", _("resolved")

    title = models.CharField(_("problem"), max_length=200)
    icpc_code = models.CharField(
        _("ICPC code"), max_length=10, blank=True, validators=[validate_icpc_code]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["plan", "created_at"], name="plan_problem_idx")]

    def __str__(self):
        return self.title


class Goal(_PlanPart):
    class Status(models.TextChoices):
        ACTIVE = "active", _("in progress")
        ACHIEVED = "achieved", _("achieved")
        NOT_ACHIEVED = "not_achieved", _("not achieved")
        CANCELLED = "cancelled", _("cancelled")

    problem = models.ForeignKey(
        Problem, on_delete=models.PROTECT, related_name="goals", verbose_name=_("problem")
    )
    description = models.CharField(_("goal"), max_length=300)
    what_matters = models.TextField(_("what matters to the patient"), blank=True)
    target_value = models.CharField(_("target value"), max_length=200, blank=True)
    evaluation_date = models.DateField(_("evaluation date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["plan", "created_at"], name="plan_goal_idx")]

    def __str__(self):
        return self.description

    @property
    def evaluation_due(self) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.evaluation_date is not None
            and self.evaluation_date < timezone.localdate()
        )


class Action(_PlanPart):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, related_name="actions", verbose_name=_("goal")
    )
    description = models.CharField(_("action"), max_length=300)
    # A person working for an organisation, from the patient's care network (or the practice).
    owner = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["plan", "created_at"], name="plan_action_idx"),
            # The start page: "my open actions", soonest first.
            models.Index(
                fields=["owner", "due_date"],
                condition=models.Q(status="open"),
                name="plan_action_open_owner_idx",
            ),
        ]

    def __str__(self):
        return self.description

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status == self.Status.OPEN and self.due_date is not None and self.due_date < today
        )


class PlanChange(models.Model):
    """One create or update in a health plan: who (for which organisation), when, what."""

    class Verb(models.TextChoices):
        CREATED = "created", _("added")
        UPDATED = "updated", _("changed")

    class Kind(models.TextChoices):
        PROBLEM = "problem", _("problem")
        GOAL = "goal", _("goal")
        ACTION = "action", _("action")

    plan = models.ForeignKey(HealthPlan, on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField()
    verb = models.CharField(max_length=8, choices=Verb.choices)
    # What it is called at the time of the change ("Zelfstandig 100 m lopen").
    label = models.CharField(max_length=300)
    # [[field label, old, new], ...] in the words the page shows (Dutch at the time of writing
    # is not assumed: labels are stored as the field names and translated when shown).
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("health plan change")
        verbose_name_plural = _("health plan changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["plan", "-at"], name="plan_change_idx")]

    def __str__(self):
        return f"{self.kind} {self.object_id} {self.verb}"
