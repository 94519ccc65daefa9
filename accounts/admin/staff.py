"""Helpdesk admin for account requests, invitations and the staff change log.

Every decision goes through the services, so it is checked, recorded and mailed the same way
as anywhere else; the admin only shows and asks.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import AccountRequest, Invitation, StaffChange


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountRequest)
class AccountRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "full_name",
        "email",
        "level",
        "organisation",
        "requested_by",
        "status",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["email", "last_name", "organisation__name", "organisation__agb_code"]
    list_select_related = ["organisation", "requested_by"]
    change_form_template = "admin/accounts/accountrequest/change_form.html"
    readonly_fields = [
        "organisation",
        "kind",
        "requested_by",
        "target_membership",
        "initials",
        "infix",
        "last_name",
        "agb_code",
        "email",
        "mobile",
        "level",
        "remarks",
        "status",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "created_at",
    ]
    fields = readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/approve/",
                wrap(require_POST(self.approve_view)),
                name="accounts_accountrequest_approve",
            ),
            path(
                "<int:pk>/reject/",
                wrap(require_POST(self.reject_view)),
                name="accounts_accountrequest_reject",
            ),
            *super().get_urls(),
        ]

    def _decide(self, request, pk, decide):
        if not request.user.has_perm("accounts.change_accountrequest"):
            raise PermissionDenied
        account_request = get_object_or_404(AccountRequest, pk=pk)
        try:
            decide(account_request)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(reverse("admin:accounts_accountrequest_change", args=[pk]))
        return redirect(reverse("admin:accounts_accountrequest_changelist"))

    def approve_view(self, request, pk):
        def decide(account_request):
            services.account_request_approve(
                helpdesk_user=request.user, account_request=account_request
            )
            self.message_user(
                request,
                _("Approved. %(who)s has been informed.")
                % {"who": account_request.requested_by.full_name},
                messages.SUCCESS,
            )

        return self._decide(request, pk, decide)

    def reject_view(self, request, pk):
        def decide(account_request):
            services.account_request_reject(
                helpdesk_user=request.user,
                account_request=account_request,
                reason=request.POST.get("reason", ""),
            )
            self.message_user(
                request, _("Rejected; the requester has been informed."), messages.SUCCESS
            )

        return self._decide(request, pk, decide)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_decide": request.user.has_perm("accounts.change_accountrequest"),
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "full_name",
        "organisation",
        "source",
        "status_shown",
        "expires_at",
        "send_count",
        "created_at",
    ]
    list_filter = ["status", "source", "organisation__kind"]
    search_fields = ["email", "last_name", "organisation__name"]
    list_select_related = ["organisation"]
    actions = ["resend", "revoke"]
    exclude = ["token_hash"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "token_hash"]

    @admin.display(description=gettext_lazy("status"))
    def status_shown(self, obj):
        return obj.display_status

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("accounts.view_invitation")

    @admin.action(
        description=gettext_lazy("Send again (new link, 14 more days)"), permissions=["resend"]
    )
    def resend(self, request, queryset):
        self._each(
            request, queryset, services.invitation_resend, _("%(n)d invitation(s) sent again.")
        )

    @admin.action(description=gettext_lazy("Revoke"), permissions=["resend"])
    def revoke(self, request, queryset):
        self._each(request, queryset, services.invitation_revoke, _("%(n)d invitation(s) revoked."))

    def has_resend_permission(self, request):
        return request.user.has_perm("accounts.change_invitation")

    def _each(self, request, queryset, service, done_message):
        done = 0
        for invitation in queryset:
            try:
                service(actor=request.user, invitation=invitation)
                done += 1
            except ValidationError as exc:
                self.message_user(
                    request, f"{invitation.email}: {' '.join(exc.messages)}", messages.WARNING
                )
        self.message_user(request, done_message % {"n": done}, messages.SUCCESS)


@admin.register(StaffChange)
class StaffChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: who changed whose level, access, invitation or account, and when."""

    list_display = ["created_at", "action", "actor", "subject_email", "organisation", "details"]
    list_filter = ["action", "organisation__kind"]
    search_fields = ["subject_email", "actor__email", "organisation__name"]
    list_select_related = ["actor", "organisation"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False
