"""Exporting a conversation to the HIS: the button's POST and the note's download.

Both start from the one access rule (``conversation_get_for``: 404 for "missing" and "not
yours"), then the practice rule (403 for a participant who is not own-practice staff). Neither
logs a plain read: the export and the download are logged as exports by the service.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.secure_session import secure_session_required
from conversations.access import conversation_get_for
from conversations.models import Conversation
from conversations.services.his import (
    can_export_to_his,
    his_export_create,
    his_export_file_get,
    his_export_require,
    his_exports_for,
)
from his.models import HisExport, icpc_code_normalise, validate_icpc_code
from his.selectors import his_endpoint_for
from network.access import Actor


class HisExportForm(forms.Form):
    icpc_code = forms.CharField(
        label=gettext_lazy("ICPC code"), max_length=10, required=False, strip=True
    )

    def clean_icpc_code(self):
        code = icpc_code_normalise(self.cleaned_data["icpc_code"])
        validate_icpc_code(code)
        return code


def his_export_context(*, actor: Actor, conversation: Conversation) -> dict:
    """What ``conversations/partials/his_export.html`` needs; nothing is queried for people who
    may not export (the partial then renders nothing)."""
    can_export = can_export_to_his(actor=actor, conversation=conversation)
    return {
        "conversation": conversation,
        "can_export": can_export,
        "his_exports": his_exports_for(conversation=conversation) if can_export else [],
        "his_endpoint": (
            his_endpoint_for(practice_id=conversation.patient.practice_id) if can_export else None
        ),
    }


def _done_message(export: HisExport, *, has_endpoint: bool) -> tuple[int, str]:
    if export.status == HisExport.Status.FAILED:
        return messages.ERROR, export.last_error
    if export.status == HisExport.Status.SENT:
        return messages.SUCCESS, _("The note has been sent to the HIS.")
    if has_endpoint:
        return messages.SUCCESS, _("The note is being sent to the HIS.")
    return messages.SUCCESS, _(
        "The SOEP note is ready. Download it and paste it into the patient's journal."
    )


@secure_session_required
@require_POST
def his_export(request, pk):
    actor = Actor.from_request(request)
    conversation = conversation_get_for(actor=actor, pk=pk, log=False)
    his_export_require(actor=actor, conversation=conversation)
    detail = reverse("conversations:detail", args=[pk])
    form = HisExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["icpc_code"]))
        return redirect(detail)
    export = his_export_create(
        actor=actor, conversation=conversation, icpc_code=form.cleaned_data["icpc_code"]
    )
    # Eager Celery (development) has delivered by now; a worker has usually not yet.
    export.refresh_from_db()
    has_endpoint = his_endpoint_for(practice_id=export.practice_id) is not None
    level, text = _done_message(export, has_endpoint=has_endpoint)
    messages.add_message(request, level, text)
    return redirect(detail)


@secure_session_required
@require_GET
def his_export_download(request, pk, export_pk):
    actor = Actor.from_request(request)
    conversation = conversation_get_for(actor=actor, pk=pk, log=False)
    file_name, text = his_export_file_get(actor=actor, conversation=conversation, pk=export_pk)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"
    return response
