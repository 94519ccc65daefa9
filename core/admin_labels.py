"""Accessible names for form fields the Django admin renders without a ``<label>``.

The change list's editable columns (``list_editable``) and tabular inlines show a field in a
table cell under a column heading, with no label of its own: axe-core reports every such
checkbox and select as unnamed, and a screen reader announces just "checkbox". These helpers
give each widget an ``aria-label``.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin

LabelFor = Callable[[forms.BaseForm, str, forms.Field], str]


def field_label(form: forms.BaseForm, name: str, field: forms.Field) -> str:
    return str(field.label or name)


def labelled_form(form_class: type[forms.BaseForm], label_for: LabelFor = field_label):
    """``form_class`` with an ``aria-label`` on every visible widget, from ``label_for``."""

    class LabelledForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name, field in self.fields.items():
                if not field.widget.is_hidden:
                    # The admin wraps relation widgets; the wrapper shares the attrs of the
                    # class-level widget, so name the form's own copy inside it.
                    widget = getattr(field.widget, "widget", field.widget)
                    widget.attrs["aria-label"] = label_for(self, name, field)

    LabelledForm.__name__ = form_class.__name__
    LabelledForm.__qualname__ = form_class.__qualname__
    return LabelledForm


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose fields are named by their column (e.g. "Niveau")."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = labelled_form(formset.form)
        return formset
