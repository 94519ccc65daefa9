from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from support.services import screenshot_prepare


class TicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    question = forms.CharField(
        label=_("Your question"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Do not include patient data: the helpdesk does not need it."),
    )
    screenshot = forms.FileField(
        label=_("Screenshot (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("A picture of what you see helps the helpdesk. Leave out patient data."),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def clean_screenshot(self):
        upload = self.cleaned_data.get("screenshot")
        if upload:
            try:
                screenshot_prepare(upload)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
            upload.seek(0)
        return upload or None


class FollowForm(forms.Form):
    follows = forms.BooleanField(required=False)
