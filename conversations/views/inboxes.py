"""Managing shared inboxes (gezamenlijke inboxen): level A or a lead provider, own organisation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Team
from accounts.selectors import colleagues_in
from conversations.access import can_manage_inboxes, inbox_get_for, inboxes_managed_by
from conversations.services import messages as services
from network.access import Actor


def _manager(request) -> Actor:
    actor = Actor.from_request(request)
    if not can_manage_inboxes(actor):
        raise PermissionDenied
    return actor


@login_required
@require_http_methods(["GET", "POST"])
def inbox_list(request):
    actor = _manager(request)
    teams = Team.objects.filter(organisation_id=actor.membership.organisation_id, is_active=True)
    if request.method == "POST":
        team = teams.filter(pk=request.POST.get("team") or 0).first()
        try:
            inbox = services.inbox_create(actor=actor, name=request.POST.get("name", ""), team=team)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Shared inbox “%(name)s” created.") % {"name": inbox.name})
            return redirect("conversations:inbox-members", pk=inbox.pk)
    inboxes = inboxes_managed_by(actor).select_related("team").prefetch_related("members__user")
    return render(request, "conversations/inboxes.html", {"inboxes": inboxes, "teams": teams})


@login_required
@require_http_methods(["GET"])
def inbox_members(request, pk):
    actor = _manager(request)
    inbox = inbox_get_for(actor=actor, pk=pk)
    members = list(inbox.members.select_related("user").order_by("user__first_name"))
    member_ids = {m.user_id for m in members}
    colleagues = [
        c for c in colleagues_in(organisation=inbox.organisation) if c.pk not in member_ids
    ]
    return render(
        request,
        "conversations/inbox_members.html",
        {"inbox": inbox, "members": members, "colleagues": colleagues},
    )


@login_required
@require_POST
def inbox_member_change(request, pk):
    actor = _manager(request)
    inbox = inbox_get_for(actor=actor, pk=pk)
    colleague = (
        colleagues_in(organisation=inbox.organisation)
        .filter(pk=request.POST.get("user") or 0)
        .first()
    )
    if colleague is None:
        messages.error(request, _("Choose a colleague of your organisation."))
    elif request.POST.get("action") == "remove":
        services.inbox_member_remove(inbox=inbox, user=colleague)
        messages.success(
            request, _("%(name)s no longer reads this inbox.") % {"name": colleague.full_name}
        )
    else:
        services.inbox_member_add(inbox=inbox, user=colleague, added_by=actor.user)
        messages.success(
            request, _("%(name)s now reads this inbox.") % {"name": colleague.full_name}
        )
    return redirect("conversations:inbox-members", pk=pk)
