from network.selectors import ACTIVE_ORGANISATION_SESSION_KEY, membership_active, memberships_for


class ActiveMembershipMiddleware:
    """Sets ``request.memberships`` and ``request.membership`` (the active organisation)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = memberships_for(user=request.user)
        request.membership = membership_active(
            memberships=request.memberships,
            organisation_id=request.session.get(ACTIVE_ORGANISATION_SESSION_KEY),
        )
        return self.get_response(request)
