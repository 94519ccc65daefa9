"""Changing the authorisation matrix. Every change is kept: who, when, before, after."""

from __future__ import annotations

from django.db import transaction

from network.models import AuthorisationRule, AuthorisationRuleChange, DataCategory


@transaction.atomic
def authorisation_rule_update(
    *, rule: AuthorisationRule, allowed: dict[str, bool], by
) -> AuthorisationRuleChange | None:
    """Set the categories of one matrix row; returns the recorded change (None: nothing changed).

    The row is locked and re-read, so two helpdesk staff editing at once each get their own
    correct before/after. Pages read the row per request, so the change applies at once.
    """
    current = AuthorisationRule.objects.select_for_update().get(pk=rule.pk)
    before = current.snapshot()
    after = {c: bool(allowed.get(c, before[c])) for c in DataCategory.values}
    if after == before:
        return None
    for category, value in after.items():
        setattr(current, category, value)
    current.save()
    return AuthorisationRuleChange.objects.create(
        organisation_kind=current.organisation_kind, changed_by=by, before=before, after=after
    )
