"""Writes for accounts: profile, absences, language, questions to the helpdesk."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import PROFILE_FIELDS, Absence, User


@transaction.atomic
def profile_update(*, user: User, **fields) -> User:
    """Update the user's own profile; only profile fields, validated as a whole."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=sorted(fields))
    return user


@transaction.atomic
def absence_add(
    *, user: User, start: datetime.date, end: datetime.date, message: str = ""
) -> Absence:
    absence = Absence(user=user, start=start, end=end, message=message.strip())
    if end < start:
        raise ValidationError({"end": _("The end date is before the start date.")})
    absence.full_clean()
    absence.save()
    return absence


@transaction.atomic
def absence_remove(*, user: User, absence_id: int) -> None:
    """Remove one of the user's own absences; someone else's is a 404."""
    deleted, _unused = Absence.objects.filter(user=user, pk=absence_id).delete()
    if not deleted:
        raise Http404


def language_set(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language."))
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
