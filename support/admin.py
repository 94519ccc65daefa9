"""The helpdesk answers tickets and keeps the help articles and release notes here."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from files.downloads import private_file_response
from support import services
from support.models import HelpArticle, ReleaseNote, Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("subject", "user", "organisation", "status", "created_at", "answered_at")
    list_filter = ("status",)
    list_select_related = ("user", "organisation")
    search_fields = ("subject", "user__email", "user__last_name")
    date_hierarchy = "created_at"
    fields = (
        "user",
        "organisation",
        "created_at",
        "page",
        "user_agent",
        "subject",
        "question",
        "screenshot_info",
        "status",
        "answer",
        "answered_at",
        "answered_by",
        "answer_mailed_at",
    )
    readonly_fields = (
        "user",
        "organisation",
        "created_at",
        "page",
        "user_agent",
        "subject",
        "question",
        "screenshot_info",
        "answered_at",
        "answered_by",
        "answer_mailed_at",
    )

    def has_add_permission(self, request):
        return False  # tickets come from the contact form

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/screenshot/",
                self.admin_site.admin_view(self.screenshot_view),
                name="support_ticket_screenshot",
            ),
            *super().get_urls(),
        ]

    def screenshot_view(self, request, pk):
        """The ticket's screenshot, for whoever may view tickets in the admin."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        ticket = get_object_or_404(Ticket.objects.select_related("screenshot"), pk=pk)
        shot = getattr(ticket, "screenshot", None)
        if shot is None:
            raise Http404
        return private_file_response(request, shot)

    @admin.display(description=_("screenshot"))
    def screenshot_info(self, obj):
        shot = getattr(obj, "screenshot", None) if obj else None
        if shot is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse("admin:support_ticket_screenshot", args=[obj.pk]),
            shot.original_name,
            filesizeformat(shot.size),
        )

    def save_model(self, request, obj, form, change):
        # The answer goes through the service: it records who answered and mails it once.
        services.ticket_answer(
            ticket=obj,
            answer=form.cleaned_data.get("answer", ""),
            by=request.user,
            status=form.cleaned_data.get("status"),
        )


@admin.register(HelpArticle)
class HelpArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "key", "updated_at")
    readonly_fields = ("updated_at",)

    def get_readonly_fields(self, request, obj=None):
        # The keys are the pages' "?" links: fixed once the article exists.
        return ("key", "updated_at") if obj else ("updated_at",)


@admin.register(ReleaseNote)
class ReleaseNoteAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "date")

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.release_note_published(note=obj)
