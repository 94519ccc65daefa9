from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from support import selectors, services
from support.forms import FollowForm, TicketForm
from support.models import ReleaseNote

PAGE_SIZE = 20


def _same_origin_path(request, target: str) -> str:
    """The path of ``target`` if it is a page of this site, else ""."""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    path = urlsplit(target).path
    try:
        resolve(path)
    except Resolver404:
        return ""
    return path


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request):
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES)
        if form.is_valid():
            services.ticket_create(
                user=request.user,
                organisation=request.membership.organisation if request.membership else None,
                subject=form.cleaned_data["subject"],
                question=form.cleaned_data["question"],
                page=_same_origin_path(request, form.cleaned_data["next"]),
                user_agent=request.headers.get("User-Agent", ""),
                screenshot=form.cleaned_data["screenshot"],
            )
            messages.success(
                request,
                _(
                    "Your question has been sent to the helpdesk. "
                    "The answer appears under My questions."
                ),
            )
            return redirect("support:ticket-list")
        return render(request, "support/ticket_form.html", {"form": form}, status=422)
    came_from = request.GET.get("next") or request.headers.get("Referer", "")
    form = TicketForm(initial={"next": _same_origin_path(request, came_from)})
    return render(request, "support/ticket_form.html", {"form": form})


@login_required
@require_GET
def ticket_list(request):
    page = Paginator(selectors.ticket_list_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "support/ticket_list.html", {"page": page})


@login_required
@require_GET
def ticket_detail(request, pk: int):
    ticket = selectors.ticket_get_for(user=request.user, pk=pk)
    return render(request, "support/ticket_detail.html", {"ticket": ticket})


@login_required
@require_GET
def help_index(request):
    return render(request, "support/help_index.html", {"articles": selectors.help_article_list()})


@login_required
@require_GET
def help_article(request, key: str):
    article = selectors.help_article_get(key=key)
    return render(request, "support/help_article.html", {"article": article})


@login_required
@require_GET
def release_notes(request):
    page = Paginator(selectors.release_note_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    reader = selectors.release_note_reader_get(user=request.user)
    return render(
        request,
        "support/release_notes.html",
        {"page": page, "follows": bool(reader and reader.follows)},
    )


@login_required
@require_POST
def release_note_dismiss(request, pk: int):
    note = get_object_or_404(ReleaseNote, pk=pk)
    services.release_note_dismiss(user=request.user, note=note)
    if request.htmx:
        return render(request, "support/partials/nothing.html")
    target = request.POST.get("next", "")
    return redirect(_same_origin_path(request, target) or "home")


@login_required
@require_POST
def release_notes_follow(request):
    form = FollowForm(request.POST)
    follows = form.is_valid() and form.cleaned_data["follows"]
    services.release_notes_follow(user=request.user, follows=follows)
    if follows:
        messages.success(request, _("You will get an e-mail for each new release note."))
    else:
        messages.success(request, _("You no longer get e-mails about release notes."))
    return redirect("support:release-notes")


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """From the e-mail, without logging in. GET asks, POST unsubscribes (mail scanners follow
    links; they do not post forms)."""
    if services.unsubscribe_user_id(token=token) is None:
        # The same answer as for a link that never existed; nothing changes.
        return render(request, "support/unsubscribe.html", {"bad": True}, status=404)
    if request.method == "POST":
        services.release_notes_unsubscribe(token=token)
        return render(request, "support/unsubscribe.html", {"done": True})
    return render(request, "support/unsubscribe.html", {})
