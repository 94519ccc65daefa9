"""Forms for sending a questionnaire to a patient, and the patient's date of birth."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.sms import mobile_clean
from questionnaires.models import PatientLink, Questionnaire


class PatientLinkForm(forms.Form):
    questionnaire = forms.ModelChoiceField(
        label=_("Questionnaire"),
        queryset=Questionnaire.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a questionnaire from the list.")},
    )
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=PatientLink.Channel.choices,
        widget=forms.RadioSelect,
        initial=PatientLink.Channel.EMAIL,
    )
    email = forms.EmailField(
        label=_("The patient's e-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("The patient's mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    due_date = forms.DateField(
        label=_("Fill in by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, questionnaires, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = questionnaires

    def clean_phone(self):
        return mobile_clean(self.cleaned_data.get("phone", ""))

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        today = timezone.localdate()
        last = today + datetime.timedelta(days=settings.PATIENT_LINK_MAX_DUE_DAYS)
        if due < today:
            raise forms.ValidationError(_("Choose today or a later date."))
        if due > last:
            raise forms.ValidationError(
                _("Choose a date within %(days)s days.")
                % {"days": settings.PATIENT_LINK_MAX_DUE_DAYS}
            )
        return due

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        wanted = {
            PatientLink.Channel.EMAIL: ("email", _("Enter the e-mail address the link goes to.")),
            PatientLink.Channel.SMS: ("phone", _("Enter the mobile number the link goes to.")),
        }
        field, message = wanted.get(channel, (None, ""))
        if field and not data.get(field) and field not in self.errors:
            self.add_error(field, message)
        return data


class BirthDateForm(forms.Form):
    """Day, month and year in three boxes: the way people say a date, easy on a phone."""

    day = forms.IntegerField(
        label=_("Day"),
        min_value=1,
        max_value=31,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday-day", "size": 2}
        ),
    )
    month = forms.IntegerField(
        label=_("Month"),
        min_value=1,
        max_value=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday-month", "size": 2}
        ),
    )
    year = forms.IntegerField(
        label=_("Year"),
        min_value=1880,
        max_value=2200,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday-year", "size": 4}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        message = _("Enter your date of birth as numbers, for example 24 3 1941.")
        for field in self.fields.values():
            field.error_messages.update(
                {
                    "required": message,
                    "invalid": message,
                    "min_value": message,
                    "max_value": message,
                }
            )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["birth_date"] = datetime.date(data["year"], data["month"], data["day"])
        except ValueError:
            raise forms.ValidationError(
                _("This date does not exist; check day and month.")
            ) from None
        if data["birth_date"] > timezone.localdate():
            raise forms.ValidationError(_("A date of birth cannot be in the future."))
        return data
