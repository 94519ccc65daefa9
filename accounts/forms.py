from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.levels import Level
from accounts.models import (
    MAX_FUNCTIONS,
    PROFILE_FIELDS,
    Absence,
    AccountRequest,
    Function,
    Organisation,
    OrganisationKind,
    User,
    Weekday,
)
from accounts.staff_access import PARTNER_KINDS


class ProfileForm(forms.ModelForm):
    functions = forms.MultipleChoiceField(
        label=_("Functions"),
        choices=Function.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose up to three."),
    )
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("On other days, senders see that you are not working."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    class Meta:
        model = User
        fields = PROFILE_FIELDS
        help_texts = {
            "first_name": _("Colleagues search for you by first name."),
            "agb_code": _("8 digits; leave empty if you have none."),
        }

    def clean_functions(self):
        functions = self.cleaned_data["functions"]
        if len(functions) > MAX_FUNCTIONS:
            raise forms.ValidationError(
                _("Choose at most %(max)d functions."), params={"max": MAX_FUNCTIONS}
            )
        return functions

    def clean_working_days(self):
        return sorted(set(self.cleaned_data["working_days"]))


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ["start", "end", "message"]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned


class ColleagueSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by first name, surname or organisation"),
        max_length=100,
        required=False,
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=500)


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _base64url_bytes(value: str) -> bytes | None:
    if not _BASE64URL.fullmatch(value):
        return None
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def _push_host_allowed(host: str) -> bool:
    for allowed in settings.WEBPUSH_ALLOWED_HOSTS:
        if allowed.startswith("."):
            if host.endswith(allowed) and len(host) > len(allowed):
                return True
        elif host == allowed:
            return True
    return False


class PushSubscriptionForm(forms.Form):
    """What the browser's ``PushSubscription.toJSON()`` gives: the push service's address for
    this device and the device's keys. Checked strictly: our worker posts to that address."""

    endpoint = forms.CharField(max_length=1024)
    p256dh = forms.CharField(max_length=100)
    auth = forms.CharField(max_length=40)

    def clean_endpoint(self) -> str:
        endpoint = self.cleaned_data["endpoint"].strip()
        invalid = forms.ValidationError(
            _("This browser gave an address for notifications that Regiozorg does not accept."),
            code="endpoint",
        )
        try:
            parts = urlsplit(endpoint)
            port = parts.port
        except ValueError:
            raise invalid from None
        if (
            parts.username
            or parts.password
            or not parts.hostname
            or any(c.isspace() for c in endpoint)
        ):
            raise invalid
        host = parts.hostname.lower()
        loopback_ok = settings.WEBPUSH_ALLOW_LOOPBACK_HTTP and host == "127.0.0.1"
        if parts.scheme == "https" and (port in (None, 443) or loopback_ok):
            if _push_host_allowed(host) or loopback_ok:
                return endpoint
        elif parts.scheme == "http" and loopback_ok:
            return endpoint
        raise invalid

    def clean_p256dh(self) -> str:
        value = self.cleaned_data["p256dh"].strip()
        raw = _base64url_bytes(value)
        try:
            if raw is None or len(raw) != 65 or raw[0] != 4:
                raise ValueError
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        except ValueError:
            raise forms.ValidationError(
                _("The key of this device is not valid (P-256, 65 bytes, base64url)."),
                code="p256dh",
            ) from None
        return value

    def clean_auth(self) -> str:
        value = self.cleaned_data["auth"].strip()
        raw = _base64url_bytes(value)
        if raw is None or len(raw) != 16:
            raise forms.ValidationError(
                _("The authentication secret of this device is not valid (16 bytes, base64url)."),
                code="auth",
            )
        return value


class AccountRequestForm(forms.ModelForm):
    """The seed's form: initials*, infix, surname*, personal AGB code, e-mail*, mobile, level*."""

    level = forms.ChoiceField(label=_("Level"), choices=[("", "---------"), *Level.choices])

    class Meta:
        model = AccountRequest
        fields = [
            "initials",
            "infix",
            "last_name",
            "agb_code",
            "email",
            "mobile",
            "level",
            "remarks",
        ]
        widgets = {"remarks": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "remarks": _("For example: “Rol A wijziging”, or the start date of the colleague."),
        }

    def validate_unique(self):
        """The service reports a duplicate request with a clear message."""


class LevelChangeForm(forms.Form):
    level = forms.ChoiceField(label=_("New level"), choices=Level.choices)
    remarks = forms.CharField(
        label=_("Remarks"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PatientDataAccessForm(forms.Form):
    granted = forms.BooleanField(required=False)


class InvitationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    infix = forms.CharField(label=_("Infix"), max_length=20, required=False)
    last_name = forms.CharField(label=_("Surname"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    organisation = forms.ModelChoiceField(
        label=_("Existing organisation"), queryset=Organisation.objects.none(), required=False
    )
    new_organisation_name = forms.CharField(
        label=_("Or a new organisation: name"), max_length=200, required=False
    )
    new_organisation_kind = forms.ChoiceField(
        label=_("Kind of the new organisation"), required=False, choices=()
    )

    def __init__(self, *args, organisations=None, choose_organisation=True, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_organisation:
            self.fields["organisation"].queryset = organisations
            self.fields["new_organisation_kind"].choices = [("", "---------")] + [
                (value, label)
                for value, label in OrganisationKind.choices
                if value in PARTNER_KINDS
            ]
        else:
            for name in ("organisation", "new_organisation_name", "new_organisation_kind"):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if "organisation" in self.fields:
            chosen = cleaned.get("organisation")
            new_name = cleaned.get("new_organisation_name")
            if chosen and new_name:
                self.add_error(
                    "new_organisation_name",
                    _("Choose an existing organisation or a new one, not both."),
                )
            elif not chosen and not new_name:
                self.add_error(
                    "organisation", _("Choose the organisation of the person you invite.")
                )
            elif new_name and not cleaned.get("new_organisation_kind"):
                self.add_error(
                    "new_organisation_kind", _("Choose the kind of the new organisation.")
                )
        return cleaned


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        help_text=_("Colleagues search for you by first name."),
    )
    infix = forms.CharField(label=_("Infix"), max_length=20, required=False)
    last_name = forms.CharField(label=_("Surname"), max_length=150)
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned
