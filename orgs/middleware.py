from .selectors import membership_current

SESSION_KEY = "current_organization_id"


class CurrentOrganizationMiddleware:
    """Resolves the organization chosen in the top-right chooser (kept in the session).

    `request.membership` is the signed-in user's membership in that organization
    (or None) and `request.organization` its organization.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            request.membership = membership_current(user=request.user, organization_id=request.session.get(SESSION_KEY))
        request.organization = request.membership.organization if request.membership else None
        return self.get_response(request)
