"""Helpdesk: upload a practice's overview of network partners, preview it, import it."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Organisation, OrganisationKind, PartnerImport
from accounts.services.partner_import import (
    COLUMNS,
    partner_import_apply,
    partner_import_check_file,
    partner_import_preview,
)


class PartnerImportForm(forms.ModelForm):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("First row: %(columns)s") % {"columns": ";".join(COLUMNS)},
    )

    class Meta:
        model = PartnerImport
        fields = ["practice"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The preview (change view) shows every field read-only, so the form has none there.
        if "practice" in self.fields:
            self.fields["practice"].queryset = Organisation.objects.filter(
                kind=OrganisationKind.GP_PRACTICE, is_active=True
            )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        self.content = partner_import_check_file(uploaded)
        return uploaded


@admin.register(PartnerImport)
class PartnerImportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "practice", "file_name", "uploaded_by", "applied_at", "summary"]
    list_select_related = ["practice", "uploaded_by"]
    form = PartnerImportForm
    change_form_template = "admin/accounts/partnerimport/change_form.html"

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["practice", "file"]
        return [
            "practice",
            "file_name",
            "uploaded_by",
            "created_at",
            "applied_at",
            "applied_by",
            "summary",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        obj.uploaded_by = request.user
        obj.file_name = form.cleaned_data["file"].name[:255]
        obj.content = form.content
        obj.save()

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("admin:accounts_partnerimport_change", args=[obj.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        partner_import = get_object_or_404(PartnerImport, pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "preview": partner_import_preview(partner_import.content),
            "can_apply": partner_import.applied_at is None
            and request.user.has_perm("accounts.change_partnerimport"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/apply/",
                wrap(require_POST(self.apply_view)),
                name="accounts_partnerimport_apply",
            ),
            *super().get_urls(),
        ]

    def apply_view(self, request, pk):
        partner_import = get_object_or_404(PartnerImport, pk=pk)
        try:
            counts = partner_import_apply(helpdesk_user=request.user, partner_import=partner_import)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect(reverse("admin:accounts_partnerimport_change", args=[pk]))
        self.message_user(
            request,
            _(
                "Imported: %(organisations_created)d new organisation(s), "
                "%(memberships_created)d membership(s), %(invitations_created)d invitation(s); "
                "%(unchanged)d row(s) were already there."
            )
            % counts,
            messages.SUCCESS,
        )
        return redirect(reverse("admin:accounts_partnerimport_changelist"))
