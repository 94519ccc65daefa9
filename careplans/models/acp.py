"""The advance care plan (*proactieve zorgplanning*, PZP/ACP) of one patient, versioned.

The GP practice is the owner (*regiehouder*): it alone records the plan. Every save is a new
:class:`AcpVersion` row that is never changed afterwards, so who recorded what and when can
always be read back and two versions compared. :class:`AdvanceCarePlan` is the one row per
patient that points at the newest version: saving locks it and checks the version the form was
based on (``current_number``), so two GPs saving at once never overwrite each other.

The fields follow IKNL's national form "Uniform vastleggen proactieve zorgplanning" (zib 2020
based; the Dutch labels in ``locale/nl`` use its wording). :data:`ACP_FIELDS` lists them in
the form's order; the FHIR export maps each one (``careplans.acp_fhir.FIELD_MAP``).

Which network members may read a version is the patient's choice and part of that version
(:class:`AcpShare`); ``careplans.access`` decides it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from network.models import Patient


class Decision(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


class TreatmentDecision(models.TextChoices):
    """A treatment limit (*behandelgrens*), as zib TreatmentDirective records it."""

    DO = "do", _("Do perform")
    DONT = "dont", _("Do not perform")
    OTHER = "other", _("Other, namely")
    UNKNOWN = "unknown", _("Unknown")


class Capacity(models.TextChoices):
    CAPABLE = "capable", _("Has decision-making capacity")
    INCAPABLE = "incapable", _("Lacks decision-making capacity")
    UNKNOWN = "unknown", _("Unknown")


class TreatmentGoal(models.TextChoices):
    CURATIVE = "curative", _("Curative")
    LIFE_PROLONGING = "life_prolonging", _("Palliative, life-prolonging")
    SYMPTOMS = "symptoms", _("Palliative, symptom relief only")
    UNKNOWN = "unknown", _("Unknown")


class IcdAgreement(models.TextChoices):
    SWITCH_OFF = "switch_off", _("Agreed: switch off in the dying phase")
    KEEP_ON = "keep_on", _("Agreed: do not switch off")
    NOT_DISCUSSED = "not_discussed", _("Not discussed yet")


class DeathPlace(models.TextChoices):
    HOME = "home", _("Home")
    HOSPITAL = "hospital", _("Hospital")
    NURSING_HOME = "nursing_home", _("Nursing home")
    HOSPICE = "hospice", _("Hospice")
    OTHER = "other", _("Another place")
    UNKNOWN = "unknown", _("Unknown")


class Euthanasia(models.TextChoices):
    NO = "no", _("Does not want euthanasia")
    CONSIDERS = "considers", _("Is considering euthanasia")
    REQUEST = "request", _("Has a written request for euthanasia")
    UNKNOWN = "unknown", _("Unknown or not discussed")


# The treatment limits of the national form, in its order: (field, label). Each has a
# decision and a note; "other" also names the treatment.
TREATMENTS: tuple[tuple[str, object], ...] = (
    ("resuscitation", _("Resuscitation")),
    ("ventilation", _("Invasive ventilation")),
    ("icu", _("Admission to intensive care")),
    ("hospital", _("Hospital admission")),
    ("antibiotics", _("Antibiotics")),
    ("blood_products", _("Blood products")),
    ("other", _("Other treatment")),
)


class AdvanceCarePlan(models.Model):
    """The one plan of a patient; its content is in the versions."""

    patient = models.OneToOneField(
        Patient,
        on_delete=models.PROTECT,
        related_name="advance_care_plan",
        verbose_name=_("patient"),
    )
    # The plan's identity in what Regiozorg sends (FHIR), never a database number.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The number of the newest version (0: none yet); a save must be based on it.
    current_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("advance care plan")
        verbose_name_plural = _("advance care plans")

    def __str__(self):
        return f"PZP {self.patient_id}"


def _decision(label, choices=Decision):
    return models.CharField(label, max_length=16, choices=choices.choices, default="unknown")


def _text(label, max_length=200):
    return models.CharField(label, max_length=max_length, blank=True)


def _note(label=None):
    return models.TextField(label or _("Explanation"), blank=True)


class AcpVersion(models.Model):
    """One recorded state of the plan. Immutable: a change is a new version."""

    plan = models.ForeignKey(
        AdvanceCarePlan, on_delete=models.PROTECT, related_name="versions", verbose_name=_("plan")
    )
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    # The conversation (ACP-Encounter).
    conversation_date = models.DateField(_("Date of the conversation"))
    held_by_name = _text(_("Conversation held by (name)"))
    held_by_function = _text(_("Function of the conversation holder"))
    # Decision-making capacity.
    capacity = _decision(
        _("Decision-making capacity regarding medical treatment decisions"), Capacity
    )
    capacity_note = _note(_("Explanation of decision-making capacity"))
    # Legal representative and first contact person (ACP-ContactPerson, RelatedPerson).
    representative_name = _text(_("Legal representative (name)"))
    representative_phone = _text(_("Phone number of the legal representative"), 30)
    representative_email = models.EmailField(_("E-mail of the legal representative"), blank=True)
    representative_relation = _text(_("Relationship of the legal representative to the patient"))
    contact_name = _text(_("First contact person (name)"))
    contact_phone = _text(_("Phone number of the first contact person"), 30)
    contact_email = models.EmailField(_("E-mail of the first contact person"), blank=True)
    contact_relation = _text(_("Relationship of the first contact person to the patient"))
    # Who else was present: [{"name", "role", "relation"}].
    present = models.JSONField(_("Present at the conversation"), default=list, blank=True)
    # The main treatment goal (ACP-TreatmentGoal... Goal).
    goal = _decision(_("Main goal of treatment"), TreatmentGoal)
    goal_note = _note(_("Explanation of the treatment goal"))
    # Treatment limits (ACP-TreatmentDirective, Consent).
    resuscitation = _decision(_("Resuscitation"), TreatmentDecision)
    resuscitation_note = _note()
    ventilation = _decision(_("Invasive ventilation"), TreatmentDecision)
    ventilation_note = _note()
    icu = _decision(_("Admission to intensive care"), TreatmentDecision)
    icu_note = _note()
    hospital = _decision(_("Hospital admission"), TreatmentDecision)
    hospital_note = _note()
    antibiotics = _decision(_("Antibiotics"), TreatmentDecision)
    antibiotics_note = _note()
    blood_products = _decision(_("Blood products"), TreatmentDecision)
    blood_products_note = _note()
    other_treatment = _text(_("Other treatment (which)"))
    other = _decision(_("Other treatment"), TreatmentDecision)
    other_note = _note()
    # ICD (ACP-ImplantableDefibrillator, DeviceUseStatement).
    icd_present = _decision(_("ICD present"))
    icd_type = _text(_("Type of ICD"))
    icd_agreement = models.CharField(
        _("Agreement about switching off the ICD"),
        max_length=16,
        choices=IcdAgreement.choices,
        default=IcdAgreement.NOT_DISCUSSED,
    )
    icd_note = _note(_("Explanation about the ICD"))
    # Wishes and positions (Observations).
    care_wishes = _note(_("What should care providers know to give good care?"))
    death_place = _decision(_("Preferred place of death"), DeathPlace)
    death_place_note = _note(_("Explanation of the preferred place of death"))
    euthanasia = _decision(_("Position regarding euthanasia"), Euthanasia)
    euthanasia_note = _note(_("Explanation of the position regarding euthanasia"))
    organ_donation = _decision(_("Organ donation choice recorded in the donor register?"))
    other_matters = _note(_("What else is important to the patient?"))
    # Earlier agreements (ACP-AdvanceDirective).
    earlier_agreements = _note(_("Earlier recorded treatment agreements"))
    earlier_differ = _decision(_("Do the agreements differ from earlier agreements?"))
    # The patient's consent to share.
    consent_gp_emergency = models.BooleanField(
        _(
            "The patient agrees to share this with the GP, the out-of-hours GP service and the "
            "ambulance service"
        ),
        default=False,
    )
    consent_network = models.BooleanField(
        _("The patient agrees to share this with care providers in the care network"),
        default=False,
    )

    class Meta:
        verbose_name = _("advance care plan version")
        verbose_name_plural = _("advance care plan versions")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="acp_version_unique"),
        ]

    def __str__(self):
        return f"PZP {self.plan_id} v{self.number}"

    @property
    def headline(self) -> list[str]:
        """What everyone must know without opening the plan, for the patient header."""
        said = []
        limits = (
            ("resuscitation", _("Do not resuscitate"), _("Resuscitate")),
            ("ventilation", _("No invasive ventilation"), None),
            ("icu", _("No ICU admission"), None),
            ("hospital", _("No hospital admission"), None),
        )
        for field, dont, do in limits:
            value = getattr(self, field)
            if value == TreatmentDecision.DONT:
                said.append(str(dont))
            elif value == TreatmentDecision.DO and do is not None:
                said.append(str(do))
        return said


class AcpShare(models.Model):
    """A network member the patient agreed to share this version with (as one person working
    for one organisation: access is decided for the acting organisation)."""

    version = models.ForeignKey(AcpVersion, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("advance care plan share")
        verbose_name_plural = _("advance care plan shares")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "user", "organisation"], name="acp_share_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "organisation"], name="acp_share_reader_idx")]

    def __str__(self):
        return f"PZP v{self.version_id} → {self.user_id}@{self.organisation_id}"


# Every field of the national form, in its order (the form, the diff, the PDF and the FHIR
# mapping all follow this list).
ACP_FIELDS: tuple[str, ...] = (
    "conversation_date",
    "held_by_name",
    "held_by_function",
    "capacity",
    "capacity_note",
    "representative_name",
    "representative_phone",
    "representative_email",
    "representative_relation",
    "contact_name",
    "contact_phone",
    "contact_email",
    "contact_relation",
    "present",
    "goal",
    "goal_note",
    "resuscitation",
    "resuscitation_note",
    "ventilation",
    "ventilation_note",
    "icu",
    "icu_note",
    "hospital",
    "hospital_note",
    "antibiotics",
    "antibiotics_note",
    "blood_products",
    "blood_products_note",
    "other_treatment",
    "other",
    "other_note",
    "icd_present",
    "icd_type",
    "icd_agreement",
    "icd_note",
    "care_wishes",
    "death_place",
    "death_place_note",
    "euthanasia",
    "euthanasia_note",
    "organ_donation",
    "other_matters",
    "earlier_agreements",
    "earlier_differ",
    "consent_gp_emergency",
    "consent_network",
)
