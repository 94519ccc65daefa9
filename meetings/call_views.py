"""Video call pages. Each view asks ``meetings.call_access`` first (404 for anyone who may not
be in the call); writes go through ``meetings.call_services``.

- For people with an account: start (from an MDO or a patient page), the call page, end it,
  guest links (make, revoke), files shared in the call (upload, open).
- For a guest link's holder (``/gesprek/<token>/``): their name, then the call page in its
  waiting room; files shared in the call only while they are admitted and in it. Their pages
  load nothing from elsewhere, are never cached and are not indexed.
"""

from __future__ import annotations

import uuid

from csp.constants import NONE, SELF
from csp.decorators import csp
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from core.sms import mobile_of_record
from files.downloads import private_file_response
from meetings import call_services as services
from meetings.access import meeting_get_for
from meetings.call_access import (
    GUEST_COOKIE,
    CallAccess,
    GuestLinkGone,
    call_get_for,
    guest_cookie_read,
    guest_cookie_value,
    guest_get,
)
from meetings.call_selectors import attendances_of, chat_of, file_of, guests_of, own_attendance
from meetings.forms import CallFileForm, GuestInviteForm, GuestNameForm
from meetings.hooks import conversation_find
from meetings.models import Call, CallAttendance, CallGuest
from meetings.selectors import meeting_view_for
from network.access import collaborating_actor, patient_get_for
from network.models import DataCategory

# The guest's page: our own script and styles, its socket, nothing else.
GUEST_PAGE_CSP = {
    "default-src": [NONE],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:", "blob:"],
    "media-src": [SELF, "blob:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
    "base-uri": [NONE],
}


def call_texts() -> dict:
    """What the call's script says, in the page's language."""
    return {
        "denied": _(
            "You have not allowed the camera and microphone. Click the lock or camera icon next "
            "to the web address, set Camera and Microphone to “Allow” and reload the page. Or "
            "join without camera."
        ),
        "notfound": _(
            "No camera or microphone was found. Connect one and reload the page, or join "
            "without camera."
        ),
        "nocamera": _("No camera was found: you join with sound only."),
        "busy": _(
            "Your camera or microphone is in use by another program. Close that program "
            "(Teams, Zoom, …) and try again."
        ),
        "nomedia": _(
            "Your camera and microphone could not be switched on. Reload the page and try again."
        ),
        "insecure": _(
            "This browser cannot use a camera here. Open the link in an up-to-date Chrome, "
            "Edge, Firefox or Safari."
        ),
        "connecting": _("Connecting…"),
        "reconnecting": _("The connection was lost. Connecting again…"),
        "waiting": _("Wait a moment: a care provider will let you in."),
        "admitted": _("You have been let in."),
        "denied_entry": _("You have not been let in to this call."),
        "ended": _("The call has ended."),
        "revoked": _("This link no longer works. Ask the care provider for a new one."),
        "session": _("You have been logged out. Log in again to join the call."),
        "not_allowed": _("You may not (or no longer) take part in this call."),
        "wants_in": _("wants to join"),
        "admit": _("Let in"),
        "deny": _("Refuse"),
        "guest": _("guest"),
        "muted": _("muted"),
        "camera_off": _("camera off"),
        "screen": _("sharing the screen"),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "camera_off_button": _("Camera off"),
        "camera_on": _("Camera on"),
        "share": _("Share screen"),
        "stop_share": _("Stop sharing"),
        "connecting_peer": _("connecting…"),
        "peer_failed": _("no connection"),
        "file_error": _("The file could not be shared. Try again."),
    }


def _room_url(call: Call) -> str:
    return reverse("meetings:call", args=[call.uuid])


def _invite_initial(access: CallAccess) -> dict:
    """A patient's call invites the patient: their name, and their mobile number when the
    record has one (a text message reaches a phone in the kitchen)."""
    initial = {"client_key": uuid.uuid4()}
    if access.patient is not None:
        patient = access.patient.patient
        initial.update(kind="patient", name=patient.formal_name[:100])
        phone = mobile_of_record(patient.phone)
        if phone:
            initial.update(channel="sms", phone=phone)
    return initial


def _room(request, actor, access: CallAccess, *, status=200, invite_form=None, new_link=None):
    call = access.call
    context = {
        "call": call,
        "access": access,
        "ws_path": f"/ws/call/{call.uuid}/",
        "file_base": reverse("meetings:call-file-upload", args=[call.uuid]),
        "chat": chat_of(call),
        "guests": guests_of(call),
        "attendances": attendances_of(call),
        "invite_form": invite_form or GuestInviteForm(initial=_invite_initial(access)),
        "new_link": new_link,
        "file_form": CallFileForm(initial={"client_key": uuid.uuid4()}),
        "call_text": call_texts(),
    }
    if access.meeting is not None:
        context["meeting"] = access.meeting.meeting
        context["view"] = meeting_view_for(
            actor=actor, access=access.meeting, object_ref=access.object_ref
        )
    elif access.conversation is not None:
        context["conversation"] = access.conversation
    else:
        context["patient"] = access.patient.patient
    response = render(request, "meetings/call/room.html", context, status=status)
    response["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self)"
    return response


@secure_session_required
@require_POST
def call_meeting_start(request, pk):
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk)
    try:
        call = services.call_open_for_meeting(actor=actor, access=access)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("meetings:detail", pk=pk)
    return redirect(_room_url(call))


@secure_session_required
@require_POST
def call_patient_start(request, patient_pk):
    actor = collaborating_actor(request)
    access = patient_get_for(
        actor=actor, pk=patient_pk, data=(DataCategory.IDENTITY,), object_ref="call:new"
    )
    call = services.call_open_for_patient(actor=actor, access=access)
    return redirect(_room_url(call))


@secure_session_required
@require_POST
def call_conversation_start(request, conversation_pk):
    actor = collaborating_actor(request)
    conversation = conversation_find(actor=actor, pk=conversation_pk, log=False)
    call = services.call_open_for_conversation(actor=actor, conversation=conversation)
    return redirect(_room_url(call))


@secure_session_required
@require_GET
def call_room(request, room):
    actor = collaborating_actor(request)
    access = call_get_for(actor=actor, uuid=room)
    return _room(request, actor, access)


@secure_session_required
@require_POST
def call_end(request, room):
    actor = collaborating_actor(request)
    access = call_get_for(actor=actor, uuid=room, log=False)
    services.call_end(actor=actor, access=access)
    messages.success(request, _("The call has ended for everyone."))
    if access.meeting is not None:
        return redirect("meetings:detail", pk=access.meeting.meeting.pk)
    if access.conversation is not None:
        return redirect(access.conversation.url)
    return redirect("network:patient-detail", pk=access.patient.patient.pk)


@secure_session_required
@require_POST
def guest_invite(request, room):
    actor = collaborating_actor(request)
    access = call_get_for(actor=actor, uuid=room)
    form = GuestInviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            guest, token = services.guest_invite(
                actor=actor,
                access=access,
                kind=data["kind"],
                name=data["name"],
                channel=data["channel"],
                email=data["email"],
                phone=data["phone"],
                valid_hours=data["valid_hours"],
                client_key=data["client_key"],
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            if guest.channel != CallGuest.Channel.LINK:
                messages.success(request, _("The invitation has been sent."))
                return redirect(_room_url(access.call))
            # The link is shown once, here: only its hash is kept.
            new_link = services.guest_url(token) if token else None
            return _room(request, actor, access, new_link=new_link or "")
    return _room(request, actor, access, status=422, invite_form=form)


@secure_session_required
@require_POST
def guest_revoke(request, room, guest_pk):
    actor = collaborating_actor(request)
    access = call_get_for(actor=actor, uuid=room, log=False)
    try:
        services.guest_revoke(actor=actor, access=access, guest_pk=guest_pk)
    except ValidationError:
        raise Http404 from None
    messages.success(request, _("The guest link no longer works."))
    return redirect(_room_url(access.call))


def _file_post(request, attendance: CallAttendance | None):
    """A file shared in the call by someone in it (JSON for the page's script)."""
    if attendance is None:
        return JsonResponse({"error": _("Join the call first.")}, status=409)
    form = CallFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            message, _created = services.message_post(
                attendance=attendance,
                upload=form.cleaned_data["file"],
                client_key=form.cleaned_data["client_key"],
            )
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages)}, status=422)
        return JsonResponse({"id": message.pk})
    errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return JsonResponse({"error": errors}, status=422)


@secure_session_required
@require_POST
def call_file_upload(request, room):
    actor = collaborating_actor(request)
    access = call_get_for(actor=actor, uuid=room, log=False)
    if not access.call.is_open:
        raise Http404
    return _file_post(request, own_attendance(access.call, user=actor.user))


@secure_session_required
@require_GET
def call_file(request, room, file_pk):
    actor = collaborating_actor(request)
    access = call_get_for(actor=actor, uuid=room)
    stored = file_of(access.call, file_pk)
    if stored is None:
        raise Http404
    return private_file_response(request, stored)


# --- the guest --------------------------------------------------------------------------------


def _guest_or_gone(request, token):
    """The working link, or the page that says it no longer works (410)."""
    try:
        return guest_get(token), None
    except GuestLinkGone:
        response = render(request, "meetings/call/guest_gone.html", status=410)
        response["X-Robots-Tag"] = "noindex"
        return None, response


def _guest_page(request, template, context, status=200):
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"  # "no-referrer" would send Origin: null
    response["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self)"
    return response


@csp(GUEST_PAGE_CSP)
@never_cache
@require_http_methods(["GET", "POST"])
def guest(request, token):
    guest_link, gone = _guest_or_gone(request, token)
    if gone is not None:
        return gone
    if request.user.is_authenticated:
        return _guest_page(request, "meetings/call/guest_logged_in.html", {}, status=409)
    name = guest_cookie_read(request.COOKIES.get(GUEST_COOKIE), guest_link.pk)
    form = GuestNameForm(request.POST or None, initial={"name": name or ""})
    if request.method == "POST":
        if not form.is_valid():
            return _guest_page(request, "meetings/call/guest_name.html", {"form": form}, status=422)
        name = form.cleaned_data["name"]
    if name is None:
        return _guest_page(request, "meetings/call/guest_name.html", {"form": form})
    context = {
        "call": guest_link.call,
        "guest": guest_link,
        "name": name,
        "ws_path": f"/ws/gesprek/{token}/",
        "file_base": reverse("meetings:guest-file-upload", args=[token]),
        "file_form": CallFileForm(initial={"client_key": uuid.uuid4()}),
        "call_text": call_texts(),
    }
    response = _guest_page(request, "meetings/call/guest_room.html", context)
    if request.method == "POST":
        response.set_cookie(
            GUEST_COOKIE,
            guest_cookie_value(guest_link.pk, name),
            max_age=24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure(),
        )
    return response


def _admitted_guest(request, token) -> tuple[CallGuest, CallAttendance | None]:
    try:
        guest_link = guest_get(token)
    except GuestLinkGone:
        raise Http404 from None
    if guest_cookie_read(request.COOKIES.get(GUEST_COOKIE), guest_link.pk) is None:
        raise Http404
    return guest_link, own_attendance(guest_link.call, guest=guest_link)


@never_cache
@require_POST
def guest_file_upload(request, token):
    _guest_link, attendance = _admitted_guest(request, token)
    return _file_post(request, attendance)


@never_cache
@require_GET
def guest_file(request, token, file_pk):
    """A file of the call, for a guest who is in it now: after the call (or once the link is
    revoked, or they left) it is no longer theirs to open."""
    guest_link, attendance = _admitted_guest(request, token)
    if attendance is None:
        raise Http404
    stored = file_of(guest_link.call, file_pk)
    if stored is None:
        raise Http404
    return private_file_response(request, stored)
