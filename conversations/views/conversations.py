"""Inbox, conversation and composer pages. Each view asks ``conversations.access`` first."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.presence import online_states, presence_of
from accounts.secure_session import redirect_to_second_factor, secure_session_active
from conversations import selectors
from conversations.access import (
    can_manage_inboxes,
    can_message,
    conversation_get_for,
    conversation_log_read,
    recipients_could_not_read,
)
from conversations.forms import ConversationForm, InboxFilterForm, MessageForm
from conversations.his_views import his_export_context
from conversations.models import Attachment, Conversation, ReadState
from conversations.services import messages as conversation_services
from core.htmx import partial_or_page
from core.pagination import query_without_page
from files.downloads import private_file_response
from network.access import Actor, patient_get_for, sees_own_practice_patients
from network.models import DataCategory
from network.selectors import patient_list_for


def _actor(request) -> Actor:
    actor = Actor.from_request(request)
    if not can_message(actor):
        raise PermissionDenied
    return actor


INBOX_URL_NAMES = {
    Conversation.Kind.CONVERSATION: "conversations:inbox",
    Conversation.Kind.CONSULTATION: "conversations:consultations",
}


def _inbox(request, kind: str, url_name: str):
    actor = _actor(request)
    people = selectors.correspondents_for(actor=actor, kind=kind)
    form = InboxFilterForm(request.GET, people=people)
    data = form.cleaned_data if form.is_valid() else {}
    tab = data.get("tab") or "inbox"
    page = selectors.inbox_page(
        actor=actor,
        kind=kind,
        tab=tab,
        query=data.get("q", ""),
        with_patient=data.get("patient", ""),
        patient_id=data.get("patient_id"),
        person_id=data.get("person"),
        page=request.GET.get("page"),
    )
    about = next(iter(page.object_list), None) if data.get("patient_id") else None
    # Beside an open conversation (wide screens), the list refreshes itself through this view:
    # ``open`` says which row to mark (and where its pages lead); it grants nothing.
    current = _int(request.GET.get("open"))
    context = {
        "current": current,
        "rows_url": request.get_full_path(),
        "switch_current": "true" if current else "page",
        "unread_counts": selectors.unread_counts(actor=actor),
        "keep": query_without_page(request),
        "kind": kind,
        "url_name": url_name,
        "tab": tab,
        "form": form,
        "query": data.get("q", ""),
        "patient_filter": data.get("patient_id"),
        # Options written out in the template: a Django Select widget renders a sub-template per
        # option, which cost tens of milliseconds for a couple of hundred people.
        "people": people,
        "person_filter": data.get("person"),
        "patient_filter_name": about.patient.formal_name if about else "",
        "page": page,
        "can_manage_inboxes": can_manage_inboxes(actor),
        "state_counts": (
            selectors.consultation_state_counts(actor=actor)
            if kind == Conversation.Kind.CONSULTATION
            else None
        ),
    }
    response = render(
        request, partial_or_page(request, "conversations/list.html", "update"), context
    )
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_GET
def inbox(request):
    kind = Conversation.Kind.CONVERSATION
    return _inbox(request, kind, INBOX_URL_NAMES[kind])


@login_required
@require_GET
def consultations(request):
    kind = Conversation.Kind.CONSULTATION
    return _inbox(request, kind, INBOX_URL_NAMES[kind])


@login_required
@require_GET
def unread_badge(request):
    """The navigation's unread counts (htmx, refreshed on live 'inbox' events)."""
    actor = Actor.from_request(request)
    counts = selectors.unread_counts(actor=actor) if can_message(actor) else {}
    return render(request, "conversations/partials/unread_badge.html", {"counts": counts})


# --- one conversation -------------------------------------------------------------------


def _open(request, pk) -> tuple[Actor, Conversation]:
    """The conversation, or 404; about a patient it needs a secure session and is logged."""
    actor = _actor(request)
    conversation = conversation_get_for(actor=actor, pk=pk, log=False)
    if conversation.patient_id and not secure_session_active(request):
        raise _NeedsSecureSession
    return actor, conversation


class _NeedsSecureSession(Exception):
    pass


def _secure(view):
    """Send the user through the second factor when a patient conversation needs it."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _NeedsSecureSession:
            return redirect_to_second_factor(request)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(wrapper)


def _absence_warnings(participants, *, exclude_user) -> list[dict]:
    warnings = []
    for participant in participants:
        user = participant.user
        if user is None or user.pk == exclude_user:
            continue
        presence = presence_of(user)
        if not presence.is_available:
            warnings.append({"user": user, "presence": presence})
    return warnings


def _detail_context(request, actor, conversation, *, form=None) -> dict:
    participants = selectors.participants_of(conversation=conversation)
    people = [p.user for p in participants if p.user_id]
    online = online_states(u.pk for u in people)
    for participant in participants:
        participant.online_state = online.get(participant.user_id)
    shown, has_older = selectors.conversation_messages(
        conversation=conversation, before=_int(request.GET.get("voor"))
    )
    read_by = selectors.readers_per_message(
        read_marks=selectors.read_marks(conversation=conversation),
        messages=shown,
        exclude_user_id=actor.user.pk,
    )
    for message in shown:
        message.read_by = read_by.get(message.pk, [])
    return {
        "conversation": conversation,
        "me": actor.user.pk,
        "messages_list": shown,
        "has_older": has_older,
        "is_flagged": ReadState.objects.filter(
            conversation=conversation, user=actor.user, is_flagged=True
        ).exists(),
        "last_message_id": shown[-1].pk if shown else 0,
        "participants": participants,
        "absent": _absence_warnings(participants, exclude_user=actor.user.pk),
        "form": form or MessageForm(),
        "can_grant_access": _can_grant_access(actor, conversation),
        "grant_candidates": _grant_candidates(request, actor, conversation),
        "can_pick_up": conversation_services.consultation_can_pick_up(
            actor=actor, conversation=conversation
        ),
    }


def _can_grant_access(actor: Actor, conversation: Conversation) -> bool:
    return (
        conversation.access_request_by_id is not None
        and conversation.access_granted_at is None
        and sees_own_practice_patients(actor)
        and actor.membership.organisation_id == conversation.access_request_practice_id
    )


def _grant_candidates(request, actor: Actor, conversation: Conversation):
    query = (request.GET.get("patient_q") or "").strip()[:100]
    if not query or not _can_grant_access(actor, conversation):
        return None
    return patient_list_for(actor=actor, query=query, page=1)


def _int(value) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _side_list(request, actor: Actor, conversation: Conversation):
    """The inbox the conversation belongs to, for beside it on a wide screen: the page that
    holds it (or ``?page=``), its archive when it is closed. Not yet logged: the caller logs
    the patients it names with the conversation itself (``conversation_log_read``)."""
    return selectors.inbox_page(
        actor=actor,
        kind=conversation.kind,
        tab="archive" if conversation.is_closed else "inbox",
        page=_int(request.GET.get("page")),
        around=conversation.pk,
        log=False,
    )


def _side_context(actor: Actor, conversation: Conversation, side) -> dict:
    url_name = INBOX_URL_NAMES[conversation.kind]
    refresh = {"page": side.number, "open": conversation.pk}
    if conversation.is_closed:
        refresh = {"tab": "archive", **refresh}
    return {
        "side_page": side,
        "inbox_url_name": url_name,
        "current": conversation.pk,
        "kind": conversation.kind,
        "rows_url": f"{reverse(url_name)}?{urlencode(refresh)}",
        "switch_current": "true",
        # After the page's own read mark: the open conversation is read.
        "unread_counts": selectors.unread_counts(actor=actor),
    }


def _conversation_page(request, actor, conversation, *, form=None, status=200, read=False):
    """The conversation with, on a wide screen, its inbox beside it. Every patient the page
    names — the conversation's and the list's — is logged in one write before anything else."""
    side = _side_list(request, actor, conversation)
    conversation_log_read(
        actor=actor, conversation=conversation, listed=side.object_list, listed_ref=side.log_ref
    )
    context = _detail_context(request, actor, conversation, form=form)
    context.update(his_export_context(actor=actor, conversation=conversation))
    last = context["messages_list"][-1].pk if context["messages_list"] else 0
    if read and last:
        conversation_services.read_up_to(
            user=actor.user, conversation=conversation, message_id=last
        )
    context.update(_side_context(actor, conversation, side))
    return render(request, "conversations/detail.html", context, status=status)


@_secure
@require_GET
def detail(request, pk):
    actor, conversation = _open(request, pk)
    return _conversation_page(request, actor, conversation, read=True)


@_secure
@require_POST
def message_create(request, pk):
    actor, conversation = _open(request, pk)
    form = MessageForm(request.POST, request.FILES)
    message = None
    if form.is_valid():
        try:
            message, _created = conversation_services.message_send(
                actor=actor,
                conversation=conversation,
                body=form.cleaned_data["body"],
                client_key=form.cleaned_data["client_key"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if request.htmx:
        context = {
            "conversation": conversation,
            "me": actor.user.pk,
            "form": MessageForm() if message else form,
            "message": message,
        }
        status = 200 if message else 422
        return render(request, "conversations/partials/sent.html", context, status=status)
    if message is None:
        return _conversation_page(request, actor, conversation, form=form, status=422)
    return redirect(f"{reverse('conversations:detail', args=[pk])}#message-{message.pk}")


@_secure
@require_POST
def flag(request, pk):
    actor, conversation = _open(request, pk)
    conversation_services.flag_set(
        actor=actor, conversation=conversation, flagged=request.POST.get("flagged") == "1"
    )
    return redirect("conversations:detail", pk=pk)


@_secure
@require_POST
def close(request, pk):
    actor, conversation = _open(request, pk)
    closing = request.POST.get("closed") == "1"
    conversation_services.conversation_close(actor=actor, conversation=conversation, closed=closing)
    messages.success(
        request,
        _("The conversation has been closed and moved to the archive.")
        if closing
        else _("The conversation is open again."),
    )
    return redirect("conversations:detail", pk=pk)


@_secure
@require_POST
def pick_up(request, pk):
    actor, conversation = _open(request, pk)
    try:
        conversation_services.consultation_pick_up(actor=actor, conversation=conversation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You have picked up this consultation."))
    return redirect("conversations:detail", pk=pk)


@_secure
@require_POST
def access_grant(request, pk):
    actor, conversation = _open(request, pk)
    if not _can_grant_access(actor, conversation):
        raise PermissionDenied
    if not secure_session_active(request):
        return redirect_to_second_factor(request)
    patient_access = patient_get_for(
        actor=actor, pk=request.POST.get("patient"), data=[], object_ref="access_request"
    )
    conversation_services.access_request_grant(
        actor=actor, conversation=conversation, patient_access=patient_access
    )
    messages.success(request, _("Access granted. The patient is visible to the care network."))
    return redirect("conversations:detail", pk=pk)


@_secure
@require_GET
def attachment_download(request, pk, attachment_pk):
    actor, conversation = _open(request, pk)
    attachment = (
        Attachment.objects.filter(pk=attachment_pk, message__conversation=conversation)
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise Http404
    conversation_log_read(
        actor=actor, conversation=conversation, object_ref=f"attachment:{attachment.pk}"
    )
    return private_file_response(request, attachment)


# --- starting one ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def conversation_create(request):
    actor = _actor(request)
    patient_access = None
    patient_pk = request.GET.get("patient") or request.POST.get("patient")
    if patient_pk:
        if not secure_session_active(request):
            return redirect_to_second_factor(request)
        patient_access = patient_get_for(
            actor=actor, pk=patient_pk, data=[DataCategory.IDENTITY], object_ref="conversation"
        )
    # Without JavaScript the recipient search submits this form by GET: keep what was chosen.
    source = request.POST if request.method == "POST" else request.GET
    people_ids = [_int(v) for v in source.getlist("people") if _int(v)]
    inbox_ids = [_int(v) for v in source.getlist("inboxes") if _int(v)]
    people = selectors.memberships_by_ids(ids=people_ids)
    inboxes = selectors.inboxes_by_ids(ids=inbox_ids)
    form = ConversationForm(
        request.POST or None,
        request.FILES or None,
        people_choices=[(m.pk, str(m.user)) for m in people],
        inbox_choices=[(i.pk, str(i)) for i in inboxes],
        initial={
            "kind": request.GET.get("kind") or request.GET.get("soort") or "conversation",
            "subject": request.GET.get("subject", ""),
            "body": request.GET.get("body", ""),
        },
    )
    query = (request.GET.get("q") or "")[:100]
    found_people, found_inboxes = (
        selectors.recipient_search(actor=actor, query=query) if query else ([], [])
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen_people = [m for m in people if m.pk in data["people"]]
        chosen_inboxes = [i for i in inboxes if i.pk in data["inboxes"]]
        if recipients_could_not_read(
            patient_access=patient_access,
            people=chosen_people,
            inboxes=chosen_inboxes,
            make_visible=data["make_visible"],
        ):
            form.add_error(
                None,
                _(
                    "This patient is not visible to network partners, so they could not read "
                    "this conversation. Make the patient visible, or write to your own practice "
                    "only."
                ),
            )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversation = conversation_services.conversation_start(
                actor=actor,
                kind=data["kind"],
                subject=data["subject"],
                body=data["body"],
                client_key=data["client_key"],
                people=chosen_people,
                inboxes=chosen_inboxes,
                patient_access=patient_access,
                make_visible=data["make_visible"],
                files=data["files"],
                access_request=data["access_request"] and patient_access is None,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("conversations:detail", pk=conversation.pk)
    absent = [
        {"user": m.user, "presence": presence_of(m.user)}
        for m in people
        if not presence_of(m.user).is_available
    ]
    return render(
        request,
        "conversations/create.html",
        {
            "form": form,
            "patient_access": patient_access,
            "chosen_people": people,
            "chosen_inboxes": inboxes,
            "absent": absent,
            "query": query,
            "people": [m for m in found_people if m.pk not in people_ids],
            "inboxes": [i for i in found_inboxes if i.pk not in inbox_ids],
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def recipient_search(request):
    actor = _actor(request)
    query = (request.GET.get("q") or "")[:100]
    people, inboxes = selectors.recipient_search(actor=actor, query=query)
    return render(
        request,
        "conversations/partials/recipients.html",
        {"people": people, "inboxes": inboxes, "query": query},
    )
