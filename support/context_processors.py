"""The "?" of every page (its help article) and the newest release note not yet dismissed."""

from __future__ import annotations

import functools

from django.urls import reverse

from support.help_map import help_key_for


def support(request):
    context = {}
    key = help_key_for(getattr(request, "resolver_match", None))
    if key:
        context["help_url"] = reverse("support:help-article", kwargs={"key": key})
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    # Shown on the start page, where one lands after logging in, until dismissed.
    if (
        user is not None
        and user.is_authenticated
        and match is not None
        and match.view_name == "home"
        and not request.headers.get("HX-Request")
    ):
        from support.selectors import release_note_unseen_for

        # Asked only when base.html renders it, and then once (the template resolves it twice).
        context["release_note_unseen"] = functools.cache(lambda: release_note_unseen_for(user=user))
    return context
