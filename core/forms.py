"""Form helpers every app shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def form_add_validation_error(form, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on ``form``: beside its field where it names one the
    form has, else at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
