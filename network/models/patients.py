"""Patients of a GP practice, their medical data from the HIS, and their care network."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from accounts.validators import validate_bsn, validate_phone, validate_postal_code


def _number(value) -> str:
    """A stored Decimal as the reader writes it: 7.500 -> '7,5' in Dutch."""
    return formats.number_format(value.normalize())


class DataCategory(models.TextChoices):
    """The data categories of the authorisation matrix (partner kind × category)."""

    IDENTITY = "identity", _("Identity and address (NAW)")
    EPISODES = "episodes", _("Episodes (ICPC)")
    MEDICATION = "medication", _("Current medication")
    CONTRA_INDICATIONS = "contra_indications", _("Contra-indications and allergies")
    MEASUREMENTS = "measurements", _("Measurements and lab values")
    JOURNAL = "journal", _("Journal excerpt")


MEDICAL_CATEGORIES: tuple[str, ...] = (
    DataCategory.EPISODES,
    DataCategory.MEDICATION,
    DataCategory.CONTRA_INDICATIONS,
    DataCategory.MEASUREMENTS,
    DataCategory.JOURNAL,
)


class Gender(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class PatientSource(models.TextChoices):
    HIS = "his", _("HIS extraction")
    MANUAL = "manual", _("Added by hand")


class Patient(models.Model):
    """A patient of one GP practice.

    Never deleted once looked at: the access log points at it (NEN 7513 keeps the trail).
    Who may see a patient is decided in ``network.access`` and nowhere else.
    """

    practice = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="patients",
        verbose_name=_("practice"),
        limit_choices_to={"kind": OrganisationKind.GP_PRACTICE},
    )
    his_id = models.CharField(_("HIS patient number"), max_length=64, blank=True)
    # The patient's identity in what Regiozorg sends (FHIR), never a database number.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    bsn = models.CharField(_("BSN"), max_length=9, blank=True, validators=[validate_bsn])
    initials = models.CharField(_("initials"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    infix = models.CharField(_("infix"), max_length=20, blank=True)
    surname = models.CharField(_("surname"), max_length=150)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("date of birth"))
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(
        _("postal code"), max_length=7, blank=True, validators=[validate_postal_code]
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    is_visible = models.BooleanField(_("visible to network partners"), default=False)
    visibility_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    visibility_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    source = models.CharField(
        _("source"), max_length=8, choices=PatientSource.choices, default=PatientSource.MANUAL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["surname", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "his_id"],
                condition=~models.Q(his_id=""),
                name="patient_his_id_unique",
            ),
            models.UniqueConstraint(
                fields=["practice", "bsn"],
                condition=~models.Q(bsn=""),
                name="patient_bsn_unique",
                violation_error_message=_("This practice already has a patient with this BSN."),
            ),
        ]
        indexes = [
            # The practice's patient list, in name order, and its searches.
            models.Index(fields=["practice", "surname", "first_name"], name="patient_list_idx"),
            models.Index(fields=["practice", "birth_date"], name="patient_birth_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        given = self.first_name or self.initials
        return " ".join(p for p in (given, self.infix, self.surname) if p)

    @property
    def formal_name(self) -> str:
        """'Meer, G. van der' — the way a HIS lists patients."""
        tail = " ".join(p for p in (self.initials or self.first_name, self.infix) if p)
        return f"{self.surname}, {tail}" if tail else self.surname

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def address(self) -> str:
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (self.street, place) if p)


class _PatientRecord(models.Model):
    """Common fields of data that comes from the HIS (or is typed in by the practice)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, verbose_name=_("patient"))
    his_id = models.CharField(_("HIS identifier"), max_length=80, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return getattr(self, "title", None) or getattr(self, "name", None) or self.description


class Episode(_PatientRecord):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RESOLVED = "resolved", _("resolved")

    icpc_code = models.CharField(_("ICPC code"), max_length=10, blank=True)
    # SNOMED CT concept id (up to 18 digits), for problems a system codes that way.
    snomed_code = models.CharField(_("SNOMED CT code"), max_length=18, blank=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("episode")
        verbose_name_plural = _("episodes")
        ordering = ["status", "-start_date", "pk"]
        default_related_name = "episodes"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "his_id"],
                condition=~models.Q(his_id=""),
                name="episode_his_id_unique",
            ),
        ]


class Medication(_PatientRecord):
    class Status(models.TextChoices):
        ACTIVE = "active", _("current")
        COMPLETED = "completed", _("stopped")

    atc_code = models.CharField(_("ATC code"), max_length=10, blank=True)
    # The Z-Index G-Standaard code the HIS prescribed by: GPK, PRK or HPK.
    gstandaard_kind = models.CharField(_("G-Standaard code kind"), max_length=3, blank=True)
    gstandaard_code = models.CharField(_("G-Standaard code"), max_length=20, blank=True)
    name = models.CharField(_("medicine"), max_length=200)
    dosage = models.CharField(_("dosage"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("medication")
        verbose_name_plural = _("medication")
        ordering = ["status", "name", "pk"]
        default_related_name = "medications"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "his_id"],
                condition=~models.Q(his_id=""),
                name="medication_his_id_unique",
            ),
        ]


class ContraIndication(_PatientRecord):
    """An allergy, intolerance or contra-indication (FHIR AllergyIntolerance)."""

    class Kind(models.TextChoices):
        ALLERGY = "allergy", _("allergy")
        INTOLERANCE = "intolerance", _("intolerance")

    description = models.CharField(_("description"), max_length=200)
    code = models.CharField(_("code"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, blank=True)
    is_high_risk = models.BooleanField(_("high risk"), default=False)
    recorded_date = models.DateField(_("recorded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("contra-indication")
        verbose_name_plural = _("contra-indications")
        ordering = ["description", "pk"]
        default_related_name = "contra_indications"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "his_id"],
                condition=~models.Q(his_id=""),
                name="contraindication_his_id_unique",
            ),
        ]


class Measurement(_PatientRecord):
    """A measurement or lab value, coded by NHG table 45 and/or LOINC."""

    nhg_code = models.CharField(_("NHG table-45 code"), max_length=10, blank=True)
    loinc_code = models.CharField(_("LOINC code"), max_length=12, blank=True)
    name = models.CharField(_("measurement"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3, null=True, blank=True)
    # The second number of a pair measured together: the diastolic of a blood pressure.
    value2 = models.DecimalField(
        _("second value"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    value_text = models.CharField(_("result"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    measured_at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["-measured_at", "pk"]
        default_related_name = "measurements"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "his_id"],
                condition=~models.Q(his_id=""),
                name="measurement_his_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-measured_at"], name="measurement_recent_idx")]

    @property
    def display_value(self) -> str:
        """'7,5 mmol/l' (decimal comma in Dutch, point in English: the active language's
        format), or a blood pressure as '140/90 mmHg'. Trailing zeros of the stored 3 decimals
        are dropped: 7.500 is shown as 7,5."""
        if self.value is None and self.value2 is None:
            return self.value_text
        pair = (self.value, self.value2) if self.value2 is not None else (self.value,)
        number = "/".join("–" if v is None else _number(v) for v in pair)
        return f"{number} {self.unit}".strip()


class CareNetworkReason(models.TextChoices):
    CONVERSATION = "conversation", _("conversation")
    REFERRAL = "referral", _("referral")
    MANUAL = "manual", _("added by hand")


class CareNetworkMemberQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_at__isnull=True)


class CareNetworkMember(models.Model):
    """A care provider (as a member of one organisation) involved with a patient.

    Being a current member is what lets a network partner see a visible patient. Ended
    memberships are kept so the network's history can be told.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="network", verbose_name=_("patient")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="care_networks",
        verbose_name=_("care provider"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=CareNetworkReason.choices)
    # What brought them in, in words the network understands ("Verwijzing fysiotherapie").
    reason_detail = models.CharField(_("details"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    started_at = models.DateTimeField(_("since"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_reason = models.CharField(_("reason for ending"), max_length=300, blank=True)

    objects = CareNetworkMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("care network member")
        verbose_name_plural = _("care network members")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "user", "organisation"],
                condition=models.Q(ended_at__isnull=True),
                name="care_network_member_current_unique",
            ),
        ]
        indexes = [
            # The access rule: "is this user, for this organisation, in this patient's network?"
            models.Index(
                fields=["user", "organisation", "patient"],
                condition=models.Q(ended_at__isnull=True),
                name="care_network_access_idx",
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.patient_id}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None
