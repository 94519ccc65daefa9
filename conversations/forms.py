from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation
from files.forms import MultipleFileField


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.MESSAGE_MAX_CHARS,
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput)
    files = MultipleFileField(label=_("Photos or PDF"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].error_messages["max_length"] = _(
            "A message can be at most %(limit_value)d characters (it has %(show_value)d)."
        )
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())

    def clean(self):
        data = super().clean()
        if not data.get("body") and not data.get("files") and not self.errors:
            raise forms.ValidationError(_("Write a message."), code="empty")
        return data


class ConversationForm(MessageForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Conversation.Kind.choices,
        initial=Conversation.Kind.CONVERSATION,
        widget=forms.RadioSelect,
    )
    people = forms.TypedMultipleChoiceField(
        label=_("People"), coerce=int, required=False, choices=()
    )
    inboxes = forms.TypedMultipleChoiceField(
        label=_("Shared inboxes"), coerce=int, required=False, choices=()
    )
    access_request = forms.BooleanField(
        label=_("This is a request for access to a patient of this practice"),
        help_text=_(
            "Write who the patient is (name and date of birth) and why you need access. The "
            "practice can grant access from the conversation."
        ),
        required=False,
    )
    make_visible = forms.BooleanField(
        label=_("Make the patient visible to the care network"), required=False, initial=True
    )

    field_order = [
        "kind",
        "subject",
        "people",
        "inboxes",
        "body",
        "files",
        "access_request",
        "make_visible",
    ]

    def __init__(self, *args, people_choices=(), inbox_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = people_choices
        self.fields["inboxes"].choices = inbox_choices

    def clean(self):
        data = super().clean()
        if not data.get("people") and not data.get("inboxes"):
            self.add_error("people", _("Choose at least one recipient."))
        return data


class InboxFilterForm(forms.Form):
    tab = forms.ChoiceField(
        choices=[("inbox", "inbox"), ("flagged", "flagged"), ("archive", "archive")],
        required=False,
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    patient = forms.ChoiceField(
        label=_("Patient"),
        required=False,
        choices=[("", _("all")), ("yes", _("about a patient")), ("no", _("without patient"))],
    )
    patient_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    person = forms.TypedChoiceField(label=_("Person"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("everyone"))] + [
            (person.pk, person.full_name) for person in people
        ]
        self.fields["patient"].widget.attrs["class"] = "form-select"
