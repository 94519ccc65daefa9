"""The access log (NEN 7513): who did what with which patient's data, when, from where.

Append-only: on PostgreSQL triggers refuse UPDATE and DELETE (migration 0004) and TRUNCATE
(0005), and the application's database role may only INSERT and SELECT (``manage.py
db_app_role``). Tamper-evident: each entry carries an HMAC-SHA256 over its content and the
previous entry's hash, with a key that is not in the database; see ``network.access_log`` for
writing and verifying the chain and ``network.access_log_seals`` for the seals kept outside it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from network.models.patients import DataCategory, Patient

# Parts of a record that are not a matrix category, as the access overview (and its export)
# names them: the key is the part of ``data`` or ``object_ref`` before the first ":". The upper
# floors (conversations, referrals, his) write their own keys here as plain strings, so this
# floor never imports them; tests/network/test_access_log_labels.py finds every key they use.
OBJECT_LABELS = {
    "care_network": _("care network"),
    "care_network_member": _("care network member"),
    "access_log": _("access overview"),
    "visibility": _("visibility to network partners"),
    "edit": _("details"),
    "fields": _("details"),
    "extraction": _("HIS extraction"),
    "patient_list": _("patient list"),
    "patient": _("patient record"),
    "can_read_access_log": _("access overview"),
    "can_edit": _("details"),
    # conversations
    "conversation": _("conversation"),
    "conversation_list": _("conversation list"),
    "consultation_list": _("consultation list"),
    "attachment": _("attachment"),
    "access_request": _("access request"),
    # referrals
    "referral": _("referral"),
    "referral_list": _("referral list"),
    "referral-feedback": _("referral feedback"),
    "referral_feedback": _("referral feedback"),
    "referral-attachment": _("referral attachment"),
    "referral_attachment": _("referral attachment"),
    "referral-delivery": _("referral sent to the receiver's system"),
    # his
    "his_export": _("export to the HIS"),
    # careplans: the advance care plan
    "acp": _("advance care plan (PZP)"),
    "acp_edit": _("advance care plan (PZP)"),
    "acp_history": _("advance care plan (PZP)"),
    "acp_compare": _("advance care plan (PZP)"),
    "acp_headline": _("advance care plan (PZP) on the patient page"),
    "acp_pdf": _("advance care plan (PZP) as PDF"),
    "acp_fhir": _("advance care plan (PZP) as FHIR"),
    # careplans
    "health_plan": _("health plan"),
    # questionnaires: a questionnaire the patient fills in through a link
    "questionnaire-link": _("questionnaire sent to the patient"),
}
# A key nobody named yet is never shown raw (a code means nothing to a patient).
OTHER_OBJECT_LABEL = _("other data")


class AccessAction(models.TextChoices):
    READ = "read", _("viewed")
    SEARCH = "search", _("searched")
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("removed")
    EXPORT = "export", _("exported")
    PRINT = "print", _("printed")


class AccessRelationship(models.TextChoices):
    OWN_PRACTICE = "own_practice", _("own practice")
    CARE_NETWORK = "care_network", _("care network")
    REFERRAL = "referral", _("referral")
    SHARED_INBOX = "shared_inbox", _("shared inbox")
    # The patient acting for themselves (a questionnaire link): no account, no organisation.
    PATIENT_SELF = "patient_self", _("the patient themselves")
    NONE = "none", _("none")


class AccessOutcome(models.TextChoices):
    ALLOWED = "allowed", _("allowed")
    DENIED = "denied", _("refused")


class AccessLogEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Snapshots: the log must still say who it was when names or organisations change.
    user_label = models.CharField(_("user"), max_length=300)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("acting organisation"),
    )
    organisation_label = models.CharField(_("acting organisation"), max_length=200, blank=True)
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("responsible user"),
    )
    role = models.CharField(_("role"), max_length=100, blank=True)
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("patient"),
    )
    # Data categories shown (comma-separated) or the object acted on ("care_network", …).
    data = models.CharField(_("data"), max_length=200, blank=True)
    object_ref = models.CharField(_("object"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=8, choices=AccessAction.choices)
    relationship = models.CharField(
        _("relationship"), max_length=16, choices=AccessRelationship.choices
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=AccessOutcome.choices)
    query = models.CharField(_("search query"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which key made ``hash`` (network.access_log_keys); empty: plain SHA-256, written before
    # the chain had a key.
    key_id = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["id"]
        indexes = [
            # "Wie heeft dit dossier ingezien?": one patient's entries in time order.
            models.Index(fields=["patient", "at"], name="access_log_patient_idx"),
            models.Index(fields=["user", "at"], name="access_log_user_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M:%S} {self.user_label} {self.action}"

    @property
    def user_name(self) -> str:
        """The name part of the snapshot "Name <e-mail>" (the e-mail when there is no name)."""
        name, _sep, email = self.user_label.partition(" <")
        return name.strip() or email.rstrip(">")

    @property
    def user_email(self) -> str:
        _name, sep, email = self.user_label.partition(" <")
        return email.rstrip(">") if sep else ""

    @property
    def data_labels(self) -> str:
        """The data in words: categories by their label, other parts by a short name."""
        labels = {**dict(DataCategory.choices), **OBJECT_LABELS}
        parts = [p for p in self.data.split(",") if p]
        if self.object_ref:
            parts.append(self.object_ref.split(":", 1)[0])
        words = []
        for part in parts:
            word = str(labels.get(part, OTHER_OBJECT_LABEL))
            if word not in words:  # "referral" as data and as object: said once
                words.append(word)
        return ", ".join(words)
