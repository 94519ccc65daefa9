from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from network.models import Patient


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by name, date of birth or BSN"),
        required=False,
        max_length=100,
        strip=True,
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "initials",
            "first_name",
            "infix",
            "surname",
            "gender",
            "birth_date",
            "bsn",
            "street",
            "postal_code",
            "city",
            "phone",
        ]
        widgets = {"birth_date": DateInput()}
        help_texts = {"bsn": _("9 digits; checked with the eleven test.")}

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate() or born < datetime.date(1890, 1, 1):
            raise forms.ValidationError(_("Enter a real date of birth."))
        return born

    def clean_bsn(self):
        return "".join((self.cleaned_data.get("bsn") or "").split())

    def clean_postal_code(self):
        value = "".join((self.cleaned_data.get("postal_code") or "").split()).upper()
        return f"{value[:4]} {value[4:]}" if value else ""


class VisibilityForm(forms.Form):
    visible = forms.TypedChoiceField(
        choices=[("1", _("visible")), ("0", _("not visible"))],
        coerce=lambda value: value == "1",
    )


class NetworkSearchForm(forms.Form):
    q = forms.CharField(label=_("Search a care provider by name"), required=False, max_length=100)


class NetworkAddForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=200, strip=True)


class NetworkEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason.")},
    )


class AccessLogFilterForm(forms.Form):
    # "To" alone is ambiguous in Dutch: "Aan" (a recipient) or "Tot en met" (a date range).
    since = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=DateInput()
    )
    until = forms.DateField(
        label=pgettext_lazy("date range", "To"), required=False, widget=DateInput()
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class ExtractionUploadForm(forms.Form):
    file = forms.FileField(
        label=_("HIS extraction (FHIR, .json)"),
        error_messages={
            "required": _("Choose the extraction file."),
            "empty": _("The file is empty."),
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.EXTRACTION_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Nothing has been imported.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        if not upload.name.lower().endswith(".json"):
            raise forms.ValidationError(
                _("Upload a .json file: the FHIR extraction from your HIS.")
            )
        return upload
