"""HIS extractions uploaded by a practice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind


class Extraction(models.Model):
    """One uploaded FHIR Bundle and what importing it did.

    The file is kept in the database (not on a disk only the web server sees) so any Celery
    worker can import it, and a retried task reads the very same bytes.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        CHECKING = "checking", _("checking")
        RUNNING = "running", _("reading in")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    practice = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="extractions",
        verbose_name=_("practice"),
        limit_choices_to={"kind": OrganisationKind.GP_PRACTICE},
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="extractions",
        verbose_name=_("uploaded by"),
    )
    file_name = models.CharField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("patients in file"), default=0)
    processed = models.PositiveIntegerField(_("patients processed"), default=0)
    # Resources in the file and how many have been validated (the slow part, before writing).
    resources_total = models.PositiveIntegerField(_("resources in file"), default=0)
    resources_checked = models.PositiveIntegerField(_("resources checked"), default=0)
    counts = models.JSONField(_("result"), default=dict, blank=True)
    # The refused resources are rows of ExtractionError; this is how many there are.
    error_count = models.PositiveIntegerField(_("resources not imported"), default=0)
    failure = models.TextField(_("why the import stopped"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("HIS extraction")
        verbose_name_plural = _("HIS extractions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["practice", "-created_at"], name="extraction_list_idx")]

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def percent(self) -> int:
        """Of the phase the import is in: checking resources, then reading in patients."""
        if self.status == self.Status.DONE:
            return 100
        done, total = (
            (self.resources_checked, self.resources_total)
            if self.status == self.Status.CHECKING
            else (self.processed, self.total)
        )
        return min(100, round(100 * done / total)) if total else 0

    @property
    def count_rows(self) -> list[dict]:
        labels = {
            "patients": _("Patients"),
            "episodes": _("Episodes"),
            "medications": _("Medication"),
            "contra_indications": _("Contra-indications"),
            "measurements": _("Measurements"),
        }
        return [
            {"label": label, **self.counts[key]}
            for key, label in labels.items()
            if isinstance(self.counts.get(key), dict)
        ]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ExtractionError(models.Model):
    """One resource of an extraction that was not imported, and why (in Dutch)."""

    extraction = models.ForeignKey(
        Extraction,
        on_delete=models.CASCADE,
        related_name="error_rows",
        verbose_name=_("HIS extraction"),
    )
    resource = models.CharField(_("resource"), max_length=140)
    field = models.CharField(_("element"), max_length=100, blank=True)
    message = models.TextField(_("message"))

    class Meta:
        verbose_name = _("refused resource")
        verbose_name_plural = _("refused resources")
        ordering = ["extraction", "pk"]
        # The page lists one extraction's errors in order, a page at a time.
        indexes = [models.Index(fields=["extraction", "id"], name="extraction_error_page_idx")]

    def __str__(self):
        return f"{self.resource}: {self.message}"
