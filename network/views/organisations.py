from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.services import active_organisation_switch


@login_required
@require_POST
def organisation_switch(request):
    membership = active_organisation_switch(
        session=request.session,
        memberships=request.memberships,
        organisation_id=request.POST.get("organisation"),
    )
    messages.success(
        request,
        _("You now work on behalf of %(organisation)s.")
        % {"organisation": membership.organisation.name},
    )
    return redirect("home")
