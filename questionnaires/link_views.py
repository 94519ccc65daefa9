"""Sending a questionnaire to a patient, and withdrawing it: for everyone who may see the
patient (own practice, care network, open referral), like filling one in. The first line of each
view asks for the patient (404 for anyone else; logged). The send form works without
JavaScript; a bad form shows its Dutch errors and sends nothing; sending it twice sends once."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from core.sms import mobile_of_record
from network.access import collaborating_actor
from questionnaires import library_selectors as selectors
from questionnaires.link_forms import PatientLinkForm
from questionnaires.link_services import patient_link_revoke, patient_link_send
from questionnaires.models import PatientLink


@secure_session_required
@require_http_methods(["GET", "POST"])
def send(request, pk):
    actor = collaborating_actor(request)
    if request.method == "POST":
        access = selectors.questionnaire_patient_access_for(actor=actor, pk=pk)
    else:
        access = selectors.questionnaire_patient_get_for(
            actor=actor, pk=pk, object_ref="questionnaire-link:new"
        )
    questionnaires = selectors.questionnaire_list_active()
    status = 200
    if request.method == "POST":
        form = PatientLinkForm(request.POST, questionnaires=questionnaires)
        if form.is_valid():
            data = form.cleaned_data
            link, _sent = patient_link_send(
                actor=actor,
                access=access,
                questionnaire=data["questionnaire"],
                channel=data["channel"],
                email=data["email"],
                phone=data["phone"],
                due_date=data["due_date"],
                client_key=data["client_key"],
            )
            if link.patient_id != access.patient.pk:  # a form copied from another patient's page
                raise Http404
            messages.success(
                request,
                _(
                    "The questionnaire has been sent to the patient. You will see here when "
                    "it is filled in."
                ),
            )
            return redirect(reverse("questionnaires:results", args=[pk]) + "#sent-questionnaires")
        status = 422
        # The form again shows the patient: logged, as the GET is.
        access = selectors.questionnaire_patient_get_for(
            actor=actor, pk=pk, object_ref="questionnaire-link:new"
        )
    else:
        initial = {
            "client_key": uuid.uuid4(),
            "due_date": timezone.localdate()
            + datetime.timedelta(days=settings.PATIENT_LINK_DUE_DAYS),
            "phone": mobile_of_record(access.patient.phone),
            "questionnaire": request.GET.get("vragenlijst") or None,
        }
        form = PatientLinkForm(initial=initial, questionnaires=questionnaires)
    context = {
        "access": access,
        "patient": access.patient,
        "tab": "questionnaires",
        "form": form,
        "grace_days": settings.PATIENT_LINK_GRACE_DAYS,
    }
    return render(request, "questionnaires/patient_link/send.html", context, status=status)


@secure_session_required
@require_POST
def revoke(request, pk, link_pk):
    actor = collaborating_actor(request)
    access = selectors.questionnaire_patient_access_for(actor=actor, pk=pk)
    try:
        link = patient_link_revoke(actor=actor, access=access, link_pk=link_pk)
    except PatientLink.DoesNotExist:
        raise Http404 from None
    if link.end_reason == PatientLink.EndReason.REVOKED:
        messages.success(request, _("The link has been withdrawn; it no longer works."))
    return redirect(reverse("questionnaires:results", args=[pk]) + "#sent-questionnaires")
