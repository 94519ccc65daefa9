"""Users (care providers and helpdesk staff) and their absences."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_agb_code, validate_phone, validate_uzi_number

MAX_FUNCTIONS = 3


class Function(models.TextChoices):
    """What a care provider does; up to three per person, shown next to their name."""

    GP = "gp", _("General practitioner")
    GP_TRAINEE = "gp_trainee", _("GP trainee")
    PRACTICE_NURSE = "practice_nurse", _("Practice nurse (POH somatic care)")
    PRACTICE_NURSE_MH = "practice_nurse_mh", _("Practice nurse (POH mental health)")
    DOCTORS_ASSISTANT = "doctors_assistant", _("Doctor's assistant")
    PRACTICE_MANAGER = "practice_manager", _("Practice manager")
    NURSE_PRACTITIONER = "nurse_practitioner", _("Nurse practitioner")
    PHYSICIAN_ASSISTANT = "physician_assistant", _("Physician assistant")
    DISTRICT_NURSE = "district_nurse", _("District nurse")
    CARER = "carer", _("Carer (VIG)")
    CASE_MANAGER_DEMENTIA = "case_manager_dementia", _("Case manager dementia")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    EXERCISE_THERAPIST = "exercise_therapist", _("Exercise therapist")
    DIETITIAN = "dietitian", _("Dietitian")
    PHARMACIST = "pharmacist", _("Pharmacist")
    PHARMACY_ASSISTANT = "pharmacy_assistant", _("Pharmacy assistant")
    ELDERLY_CARE_PHYSICIAN = "elderly_care_physician", _("Elderly-care physician")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    OCCUPATIONAL_THERAPIST = "occupational_therapist", _("Occupational therapist")
    SPEECH_THERAPIST = "speech_therapist", _("Speech therapist")
    HELPDESK = "helpdesk", _("Helpdesk")
    OTHER = "other", _("Other")


class Weekday(models.IntegerChoices):
    """ISO weekday numbers, as ``date.isoweekday()`` returns them."""

    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


def default_working_days() -> list[int]:
    return [1, 2, 3, 4, 5]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


PROFILE_FIELDS = (
    "initials",
    "first_name",
    "infix",
    "last_name",
    "agb_code",
    "mobile",
    "functions",
    "working_days",
    "notify_messages",
    "notify_consultations",
    "notify_referrals",
    "notify_care_network",
    "notify_when_away",
    "language",
)
"""What a user edits on their own profile page (e-mail and status are the helpdesk's)."""


class User(AbstractBaseUser, PermissionsMixin):
    """A care provider (zorgverlener) or helpdesk employee; logs in with their e-mail address."""

    email = models.EmailField(_("e-mail address"), unique=True)
    initials = models.CharField(_("initials"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    infix = models.CharField(_("infix"), max_length=20, blank=True, help_text=_("e.g. van, de"))
    last_name = models.CharField(_("surname"), max_length=150)
    agb_code = models.CharField(
        _("personal AGB code"), max_length=8, blank=True, validators=[validate_agb_code]
    )
    uzi_number = models.CharField(
        _("UZI number"), max_length=9, blank=True, validators=[validate_uzi_number]
    )
    # Their identity in FHIR (a Practitioner), never a database number.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mobile = models.CharField(
        _("mobile number"), max_length=20, blank=True, validators=[validate_phone]
    )
    functions = models.JSONField(_("functions"), default=list, blank=True)
    working_days = models.JSONField(_("working days"), default=default_working_days, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    notify_messages = models.BooleanField(_("new message in a conversation"), default=True)
    notify_consultations = models.BooleanField(_("new consultation"), default=True)
    notify_referrals = models.BooleanField(_("new referral or feedback"), default=True)
    notify_care_network = models.BooleanField(_("added to a care network"), default=False)
    notify_when_away = models.BooleanField(_("also on days off and during absence"), default=False)

    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("helpdesk (admin access)"), default=False)
    is_demo_account = models.BooleanField(_("demo account"), default=False, editable=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="user_name_idx"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip().lower()

    @property
    def full_name(self) -> str:
        given = self.first_name or self.initials
        return " ".join(part for part in (given, self.infix, self.last_name) if part)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.full_name

    @property
    def function_labels(self) -> list[str]:
        labels = dict(Function.choices)
        return [str(labels[code]) for code in self.functions if code in labels]

    @property
    def working_day_labels(self) -> list[str]:
        days = self.working_days or []
        return [str(label) for value, label in Weekday.choices if value in days]

    def works_on(self, day: datetime.date) -> bool:
        return day.isoweekday() in (self.working_days or [])


class Absence(models.Model):
    """A period (inclusive dates) in which a provider is away; senders are warned."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until and including"))
    message = models.CharField(
        _("message for senders"),
        max_length=300,
        blank=True,
        help_text=_("e.g. who to contact instead."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="absence_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["user", "end"], name="absence_user_end_idx")]

    def __str__(self):
        return f"{self.user} {self.start:%d-%m-%Y} – {self.end:%d-%m-%Y}"
