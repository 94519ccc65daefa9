"""Forms of the MDO. They validate; the services write (and check again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.sms import mobile_clean

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_(
            "For example “MDO ouderenzorg Stiens”. No patient names: the title is shown "
            "to every participant."
        ),
    )
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    held_time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class _MembershipChoice(forms.Form):
    """A choice among memberships given as a list (no query per rendered form: the meeting
    page shows one form per agenda item)."""

    field_name = ""

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._memberships = {m.pk: m for m in memberships}
        field = self.fields[self.field_name]
        field.choices = [("", field.empty_label)] + [
            (m.pk, f"{m.user.full_name} – {m.organisation.name}") for m in memberships
        ]


class ParticipantForm(_MembershipChoice):
    field_name = "membership"
    membership = forms.TypedChoiceField(
        label=_("Participant"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose someone from the list.")},
    )
    membership.empty_label = _("Choose a person")

    def clean_membership(self):
        return self._memberships[self.cleaned_data["membership"]]


class AgendaItemForm(forms.Form):
    patient_number = forms.CharField(
        label=_("Patient (HIS number or BSN)"),
        max_length=64,
        help_text=_("A patient you may see yourself."),
    )
    question = forms.CharField(
        label=_("Question for the MDO"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Your preparation"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Minutes"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4})
    )


class AgreementForm(_MembershipChoice):
    field_name = "owner"
    text = forms.CharField(label=_("Agreement"), max_length=300)
    owner = forms.TypedChoiceField(
        label=_("Who (optional)"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a participant from the list.")},
    )
    owner.empty_label = _("Nobody in particular")
    due_date = forms.DateField(label=_("Due date (optional)"), required=False, widget=DATE)

    def clean_owner(self):
        value = self.cleaned_data.get("owner")
        return self._memberships.get(value) if value else None


class StatusForm(forms.Form):
    action = forms.ChoiceField(choices=[("start", "start"), ("close", "close")])


# --- video calls ------------------------------------------------------------------------------


class GuestInviteForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the guest"),
        max_length=100,
        help_text=_("As you will recognise them in the waiting room."),
    )
    kind = forms.ChoiceField(
        label=_("Who is it"),
        choices=[
            ("guest", _("a care provider without an account")),
            ("patient", _("the patient or a carer")),
        ],
        widget=forms.RadioSelect,
        initial="guest",
    )
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=[
            ("link", _("I share the link myself (WhatsApp)")),
            ("email", _("e-mail")),
            ("sms", _("text message")),
        ],
        widget=forms.RadioSelect,
        initial="link",
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    valid_hours = forms.TypedChoiceField(
        label=_("The link works for"),
        coerce=int,
        choices=[
            (2, _("2 hours")),
            (24, _("1 day")),
            (72, _("3 days")),
            (168, _("1 week")),
        ],
        initial=24,
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_phone(self):
        return mobile_clean(self.cleaned_data.get("phone", ""))

    def clean(self):
        data = super().clean()
        wanted = {
            "email": ("email", _("Enter the e-mail address the link goes to.")),
            "sms": ("phone", _("Enter the mobile number the link goes to.")),
        }.get(data.get("channel"))
        if wanted and not data.get(wanted[0]):
            self.add_error(wanted[0], wanted[1])
        return data


class GuestNameForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        help_text=_("The care providers in the call see this name before they let you in."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Enter your name."))
        return name


class CallFileForm(forms.Form):
    file = forms.FileField(label=_("Photo or PDF"))
    client_key = forms.UUIDField(widget=forms.HiddenInput)
