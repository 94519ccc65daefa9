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
        RUNNING = "running", _("importing")
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
    counts = models.JSONField(_("result"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
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
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, round(100 * self.processed / self.total))

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
