"""The questionnaire library, kept by the helpdesk: questionnaires with their questions,
answer options, conditions (enableWhen) and scoring rules with cut-offs; import from and export
to FHIR R4 Questionnaire JSON.

A questionnaire that has been answered is not edited in place by an import (see
:func:`~questionnaires.library_services.questionnaire_import`); the admin's own forms leave it
to the helpdesk, who sees the number of responses in the list.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_labels import LabelledTabularInline
from questionnaires.library_fhir import FhirImportError, questionnaire_build
from questionnaires.library_selectors import questionnaire_parsed, questionnaire_with_definition
from questionnaires.library_services import questionnaire_import
from questionnaires.models import (
    AnswerOption,
    Condition,
    Cutoff,
    Item,
    Questionnaire,
    ScoringRule,
)

IMPORT_MAX_BYTES = 1024 * 1024


class _Inline(LabelledTabularInline):
    """A labelled tabular inline whose delete boxes are named too (the formset adds them after
    the form is made, so the label helper never sees them)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledDelete(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs["aria-label"] = gettext_lazy("Delete")

        return LabelledDelete


class ItemInline(_Inline):
    model = Item
    fields = ["order", "link_id", "text", "type", "required", "scored", "reverse", "subscale"]
    extra = 0
    show_change_link = True


class RuleInline(_Inline):
    model = ScoringRule
    fields = ["order", "code", "label", "method", "subscale", "min_answered", "decimals"]
    extra = 0
    show_change_link = True


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "version", "status", "answered", "export_link"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    fields = ["title", "slug", "version", "status", "description", "url", "loinc_code", "copyright"]
    inlines = [ItemInline, RuleInline]
    change_list_template = "admin/questionnaires/questionnaire/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(response_count=Count("responses"))

    @admin.display(description=gettext_lazy("responses"), ordering="response_count")
    def answered(self, obj):
        return obj.response_count

    @admin.display(description=gettext_lazy("FHIR"))
    def export_link(self, obj):
        url = reverse("admin:questionnaires_questionnaire_export", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Export JSON"))

    def has_delete_permission(self, request, obj=None):
        # Responses keep their questionnaire; retire it instead (status).
        if obj is not None and obj.responses.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "import/",
                wrap(self.import_view),
                name="questionnaires_questionnaire_import",
            ),
            path(
                "<int:pk>/export/",
                wrap(self.export_view),
                name="questionnaires_questionnaire_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, pk):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        questionnaire = get_object_or_404(
            questionnaire_with_definition(Questionnaire.objects.all()), pk=pk
        )
        response = JsonResponse(
            questionnaire_build(questionnaire_parsed(questionnaire)),
            json_dumps_params={"ensure_ascii": False, "indent": 2},
            content_type="application/fhir+json; charset=utf-8",
        )
        name = f"{questionnaire.slug}-{questionnaire.version}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                questionnaire, changed = questionnaire_import(resource=form.resource)
            except FhirImportError as error:
                form.add_error("file", str(error))
            else:
                self.message_user(
                    request,
                    (
                        _("Imported: %(title)s, version %(version)s.")
                        if changed
                        else _("%(title)s, version %(version)s, was already in the library.")
                    )
                    % {"title": questionnaire.title, "version": questionnaire.version},
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:questionnaires_questionnaire_change", args=[questionnaire.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Import a questionnaire (FHIR R4 JSON)"),
        }
        return render(request, "admin/questionnaires/questionnaire/import.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("FHIR Questionnaire (JSON)"),
        help_text=gettext_lazy(
            "A FHIR R4 Questionnaire; scores in the ordinalValue extension of the answer options."
        ),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            self.resource = json.loads(uploaded.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise forms.ValidationError(_("The file is not JSON.")) from None
        return uploaded


class OptionInline(_Inline):
    model = AnswerOption
    fields = ["order", "system", "code", "display", "value"]
    extra = 0


class ConditionInline(_Inline):
    model = Condition
    fields = ["question", "operator", "answer"]
    extra = 0


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["link_id", "text", "questionnaire", "type", "scored"]
    list_select_related = ["questionnaire"]
    list_filter = ["questionnaire"]
    fields = [
        "questionnaire",
        "order",
        "link_id",
        "text",
        "type",
        "required",
        "scored",
        "reverse",
        "subscale",
        "min_value",
        "max_value",
        "enable_behavior",
        "code",
    ]
    inlines = [OptionInline, ConditionInline]


class CutoffInline(_Inline):
    model = Cutoff
    fields = ["minimum", "interpretation", "flagged"]
    extra = 0


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ["label", "questionnaire", "method", "subscale"]
    list_select_related = ["questionnaire"]
    list_filter = ["questionnaire"]
    fields = [
        "questionnaire",
        "order",
        "code",
        "label",
        "method",
        "subscale",
        "min_answered",
        "decimals",
        "loinc_code",
    ]
    inlines = [CutoffInline]
