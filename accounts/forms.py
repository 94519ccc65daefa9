from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import MAX_FUNCTIONS, PROFILE_FIELDS, Absence, Function, User, Weekday


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


class SupportRequestForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    message = forms.CharField(
        label=_("Your question"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Do not include patient data: the helpdesk does not need it."),
    )
